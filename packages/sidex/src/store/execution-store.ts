import type { HistoryEvent } from '@sidex/protocol';
import type { ExecutionKind, ExecutionRecord, ExecutionStatus } from '../model/record.js';

export type { HistoryEvent };

export interface ListFilter {
  status?: ExecutionStatus[];
  kind?: ExecutionKind;
  /** Exact name. */
  name?: string;
  /** Case-insensitive text in the name. */
  nameContains?: string;
  /** Created at or after (epoch ms). */
  since?: number;
  /** Created before (epoch ms). */
  until?: number;
  /** Id prefix: `side`, `cap`, `task` (the part of the id before its first `_`). */
  idPrefix?: string;
  limit?: number;
  cursor?: string;
}

export interface ListPage {
  items: ExecutionRecord[];
  nextCursor?: string;
}

/** What retention needs to know of an ended record to decide whether it goes. */
export interface PruneCandidate {
  id: string;
  createdAt: number;
  /** Output bytes its log holds (stdout + stderr as captured). */
  logBytes: number;
}

export type NewEvent = Omit<HistoryEvent, 'seq'>;

/** The events a write carries, as a list. */
export function eventList(event: NewEvent | readonly NewEvent[] | undefined): readonly NewEvent[] {
  return event === undefined ? [] : 'type' in event ? [event] : event;
}

export interface EventQuery {
  /** Only events after this seq. */
  after?: number;
  limit?: number;
}

export interface StoreUsage {
  records: number;
  logBytes: number;
}

/**
 * `relaxed`: the write is applied and visible to every reader when its
 * promise resolves, but may not yet be flushed to disk. The engine relaxes
 * only passing states (starting, running, stopping), which the next write of
 * the execution replaces wholesale; a record's first durable write and its
 * end never are. PostgreSQL commits such a write without waiting for its WAL
 * flush (synchronous_commit off for that transaction): a crash of PostgreSQL
 * itself may lose the last ~0.6 s of them, a restart or an outage loses none.
 * SQLite in WAL mode with synchronous=NORMAL never waits for a flush on
 * commit, so there it changes nothing.
 */
export interface WriteOptions {
  relaxed?: boolean;
}

/**
 * Durable records behind one interface. Writes of one execution are issued in
 * order by the engine; an implementation must apply them in that order, and a
 * write's promise resolves only once the write is durable, unless the write
 * is `relaxed` (WriteOptions).
 */
export interface ExecutionStore {
  /**
   * Inserts the record, or replaces one with the same id. With `event` (or
   * several, in order), it is appended to its history in the same
   * transaction: a crash never keeps one without the other.
   */
  insert(record: ExecutionRecord, event?: NewEvent | readonly NewEvent[], options?: WriteOptions): Promise<void>;
  /** Replaces the stored record with this one (and appends `event`, as insert does); does nothing for an unknown id. */
  update(record: ExecutionRecord, event?: NewEvent, options?: WriteOptions): Promise<void>;
  get(id: string): Promise<ExecutionRecord | undefined>;
  /** Newest first (createdAt, then id, descending). Bad filters throw INVALID_FILTER / INVALID_CURSOR. */
  list(filter: ListFilter): Promise<ListPage>;
  counts(): Promise<Record<ExecutionStatus, number>>;
  /** Appends to an execution's history (its seq is the next one). */
  appendEvent(executionId: string, event: NewEvent): Promise<void>;
  /** An execution's history, oldest first. */
  events(executionId: string, query?: EventQuery): Promise<HistoryEvent[]>;
  /** Records a previous run of this server left non-terminal: what recovery resolves. */
  unfinished(): Promise<ExecutionRecord[]>;
  /** Terminal records, oldest first: what retention may prune. */
  oldestEnded(limit: number): Promise<PruneCandidate[]>;
  usage(): Promise<StoreUsage>;
  /** Deletes those of `ids` that are terminal, with their events; never a live record. Returns the ids deleted. */
  deleteEnded(ids: string[]): Promise<string[]>;
  close(): Promise<void>;
}
