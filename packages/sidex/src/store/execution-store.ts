import type { ExecutionKind, ExecutionRecord, ExecutionStatus } from '../engine/record.js';

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
  /** Id prefix: `side`, `cap`, `task`. */
  idPrefix?: string;
  limit?: number;
  cursor?: string;
}

export interface ListPage {
  items: ExecutionRecord[];
  nextCursor?: string;
}

/**
 * Durable records behind one interface. Writes of one execution are issued in
 * order by the engine; an implementation must apply them in that order.
 */
export interface ExecutionStore {
  insert(record: ExecutionRecord): Promise<void>;
  /** Replaces the stored record with this one. */
  update(record: ExecutionRecord): Promise<void>;
  get(id: string): Promise<ExecutionRecord | undefined>;
  list(filter: ListFilter): Promise<ListPage>;
  counts(): Promise<Record<ExecutionStatus, number>>;
  close(): Promise<void>;
}
