import { STATUSES, type ExecutionRecord, type ExecutionStatus } from '../engine/record.js';
import type { ExecutionStore, ListFilter, ListPage } from './execution-store.js';
import { DEFAULT_PAGE, decodeCursor, encodeCursor, isAfter, MAX_PAGE } from './paging.js';

/** Records in memory, for embedded one-shot use (`sidex run`) and tests. Keeps the newest `capacity`. */
export class MemoryStore implements ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();

  constructor(private readonly capacity = 10_000) {}

  async insert(record: ExecutionRecord): Promise<void> {
    this.records.set(record.id, structuredClone(record));
    if (this.records.size > this.capacity) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) this.records.delete(oldest);
    }
  }

  async update(record: ExecutionRecord): Promise<void> {
    if (this.records.has(record.id)) this.records.set(record.id, structuredClone(record));
  }

  async get(id: string): Promise<ExecutionRecord | undefined> {
    const record = this.records.get(id);
    return record && structuredClone(record);
  }

  async list(filter: ListFilter): Promise<ListPage> {
    const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
    const limit = Math.min(filter.limit ?? DEFAULT_PAGE, MAX_PAGE);
    const needle = filter.nameContains?.toLowerCase();
    const matching = [...this.records.values()]
      .filter(
        (r) =>
          (!filter.status || filter.status.includes(r.status)) &&
          (!filter.kind || r.kind === filter.kind) &&
          (!filter.name || r.name === filter.name) &&
          (!needle || r.name.toLowerCase().includes(needle)) &&
          (filter.since === undefined || r.createdAt >= filter.since) &&
          (filter.until === undefined || r.createdAt < filter.until) &&
          (!filter.idPrefix || r.id.startsWith(`${filter.idPrefix}_`)) &&
          (!cursor || isAfter(r, cursor)),
      )
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    const items = matching.slice(0, limit).map((r) => structuredClone(r));
    const last = items[items.length - 1];
    return matching.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  async counts(): Promise<Record<ExecutionStatus, number>> {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ExecutionStatus, number>;
    for (const r of this.records.values()) counts[r.status]++;
    return counts;
  }

  async close(): Promise<void> {}
}
