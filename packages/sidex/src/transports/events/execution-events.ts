import type { ExecutionRecord, OutputEvent } from '../../engine/index.js';
import { isTerminal } from '../../engine/record.js';

/** One live event of an execution, as sent to subscribers (`type: 'sideExecutionEvent'`). */
export type ExecutionEvent =
  | {
      event: 'status';
      sideExecutionId: string;
      status: ExecutionRecord['status'];
      name: string;
      time: number;
      terminal: boolean;
      result?: unknown;
      failure?: ExecutionRecord['error'];
      stopReason?: ExecutionRecord['stopReason'];
      exitCode?: number | null;
    }
  | { event: 'output'; sideExecutionId: string; stream: 'stdout' | 'stderr'; data: string; time: number }
  | { event: 'checkpoint' | 'progress'; sideExecutionId: string; value: unknown; time: number };

/** A status change, without the captured output (subscribers get that as output events). */
export function statusEvent(r: ExecutionRecord): ExecutionEvent {
  const terminal = isTerminal(r.status);
  return {
    event: 'status',
    sideExecutionId: r.id,
    status: r.status,
    name: r.name,
    time: Date.now(),
    terminal,
    ...(terminal && r.result !== undefined ? { result: r.result } : {}),
    ...(r.error ? { failure: r.error } : {}),
    ...(r.stopReason ? { stopReason: r.stopReason } : {}),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
  };
}

export function outputEvent(e: OutputEvent): ExecutionEvent {
  return { event: 'output', sideExecutionId: e.id, stream: e.stream, data: e.data, time: e.time };
}
