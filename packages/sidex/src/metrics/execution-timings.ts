// Turns the engine's status events into counts and latencies: each execution
// is counted once when first seen, its start latency once when it first runs,
// its stop latency from 'stopping' to its end.
import { isTerminal, type ExecutionRecord } from '../model/record.js';

export interface TimingSink {
  started(kind: string): void;
  running(seconds: number): void;
  stopped(seconds: number): void;
  ended(kind: string, status: string): void;
}

interface Seen {
  ran: boolean;
  stoppingAt?: number;
}

export class ExecutionTimings {
  /** Live executions only: an entry goes when its execution ends. */
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly sink: TimingSink) {}

  readonly onStatus = (record: ExecutionRecord): void => {
    let seen = this.seen.get(record.id);
    if (!seen) {
      seen = { ran: false };
      this.seen.set(record.id, seen);
      this.sink.started(record.kind);
    }
    if (!seen.ran && record.startedAt !== undefined) {
      seen.ran = true;
      this.sink.running(Math.max(0, record.startedAt - record.createdAt) / 1000);
    }
    if (record.status === 'stopping') seen.stoppingAt ??= Date.now();
    if (isTerminal(record.status)) {
      if (seen.stoppingAt !== undefined) this.sink.stopped((Date.now() - seen.stoppingAt) / 1000);
      this.sink.ended(record.kind, record.status);
      this.seen.delete(record.id);
    }
  };
}
