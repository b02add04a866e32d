import { SidexError } from '../errors.js';
import type { ExecutionRecord } from '../model/record.js';
import { eventList, type ExecutionStore, type NewEvent, type WriteOptions } from '../store/execution-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One execution's store writes, landing in the order they were issued. */
export class WriteChain {
  private tail: Promise<void> = Promise.resolve();
  /** History events the next write carries (RecordWrites.carry). */
  carried: readonly NewEvent[] | undefined;

  /** The record as it is now, not a snapshot: output tails are written once, at the end. */
  record(record: ExecutionRecord, write: (copy: ExecutionRecord) => Promise<void>): Promise<void> {
    const copy = { ...record, memory: { ...record.memory } };
    return this.enqueue(() => write(copy));
  }

  enqueue(write: () => Promise<void>): Promise<void> {
    const next = this.tail.then(write);
    this.tail = next.catch(() => {});
    return next;
  }
}

interface SaveOptions extends WriteOptions {
  attempts?: number;
  record?: ExecutionRecord;
}

interface Written {
  readonly id: string;
  readonly record: ExecutionRecord;
  readonly writes: WriteChain;
}

/**
 * The engine's writes to its store. Every write is a whole record, so after
 * a failed one the next that succeeds catches the store up.
 */
export class RecordWrites {
  constructor(
    private readonly store: ExecutionStore,
    private readonly onError: (id: string, error: Error) => void,
  ) {}

  /** Nothing runs that the store has not recorded: a failing store refuses the start. */
  async insert(exec: Written, events: readonly NewEvent[], options?: WriteOptions): Promise<void> {
    await exec.writes.record(exec.record, (r) => this.store.insert(r, events, options)).catch((err: unknown) => {
      if (err instanceof SidexError) throw err;
      throw new SidexError('STORE_UNAVAILABLE', `the store did not record the execution: ${(err as Error).message}`);
    });
  }

  /**
   * For a record another process stored already (a cluster's server queued
   * it): its first writes here are not made on their own but carried by the
   * execution's next write, which then inserts (takes the record over) rather
   * than updates. The code starts one store round trip sooner.
   */
  carry(exec: Written, events: readonly NewEvent[]): void {
    exec.writes.carried = events;
  }

  /**
   * Reported, never thrown: the execution and its stop must go on. `record`:
   * what to write instead of the live record; `attempts` > 1 backs off
   * between tries; `relaxed`: see WriteOptions.
   */
  async save(exec: Written, event?: NewEvent, options: SaveOptions = {}): Promise<void> {
    const { attempts = 1, record = exec.record } = options;
    const write = options.relaxed ? { relaxed: true } : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await exec.writes.record(record, (r) => this.write(exec, r, event, write));
      } catch (err) {
        if (attempt >= attempts) return this.onError(exec.id, err as Error);
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  /** Appends to the execution's history after its earlier writes; a failure is reported, not thrown. */
  note(exec: Written, event: NewEvent): void {
    const append = () => (exec.writes.carried ? this.write(exec, { ...exec.record }, event) : this.store.appendEvent(exec.id, event));
    exec.writes.enqueue(append).catch((error: unknown) => this.onError(exec.id, error as Error));
  }

  private async write(exec: Written, record: ExecutionRecord, event: NewEvent | undefined, options?: WriteOptions): Promise<void> {
    const { carried } = exec.writes;
    if (!carried) return this.store.update(record, event, options);
    await this.store.insert(record, [...carried, ...eventList(event)], options);
    exec.writes.carried = undefined;
  }
}
