import { isTerminal, STATUSES, type ExecutionRecord, type ExecutionStatus } from '../model/record.js';
import { eventList, type EventQuery, type WriteOptions, type HistoryEvent, type ExecutionStore, type ListFilter, type ListPage, type NewEvent, type PruneCandidate, type StoreUsage } from './execution-store.js';
import { checkEventQuery } from './event-query.js';
import { checkFilter, foldName, idPrefixOf, type CheckedFilter } from './filter.js';
import { compareNewestFirst, encodeCursor, isAfter } from './paging.js';
import { logBytesOf } from './record-columns.js';

/** Records in memory, for embedded one-shot use (`sidex run`) and tests. Keeps the newest `capacity`. */
export class MemoryStore implements ExecutionStore {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly history = new Map<string, HistoryEvent[]>();

  constructor(private readonly capacity = 10_000) {}

  async insert(record: ExecutionRecord, event?: NewEvent | readonly NewEvent[], _options?: WriteOptions): Promise<void> {
    this.records.set(record.id, structuredClone(record));
    if (this.records.size > this.capacity) {
      const oldest = this.records.keys().next().value;
      if (oldest !== undefined) {
        this.records.delete(oldest);
        this.history.delete(oldest);
      }
    }
    for (const e of eventList(event)) await this.appendEvent(record.id, e);
  }

  async update(record: ExecutionRecord, event?: NewEvent, _options?: WriteOptions): Promise<void> {
    if (this.records.has(record.id)) this.records.set(record.id, structuredClone(record));
    if (event) await this.appendEvent(record.id, event);
  }

  async get(id: string): Promise<ExecutionRecord | undefined> {
    const record = this.records.get(id);
    return record && structuredClone(record);
  }

  async list(filter: ListFilter): Promise<ListPage> {
    const f = checkFilter(filter);
    const matching = newestFirst([...this.records.values()].filter((r) => matches(r, f)));
    const items = matching.slice(0, f.limit).map((r) => structuredClone(r));
    const last = items[items.length - 1];
    return matching.length > f.limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  async counts(): Promise<Record<ExecutionStatus, number>> {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ExecutionStatus, number>;
    for (const r of this.records.values()) counts[r.status]++;
    return counts;
  }

  async appendEvent(executionId: string, event: NewEvent): Promise<void> {
    if (!this.records.has(executionId)) return; // pruned meanwhile: no orphan history
    const events = this.history.get(executionId) ?? [];
    events.push(structuredClone({ ...event, seq: events.length + 1 }));
    this.history.set(executionId, events);
  }

  async events(executionId: string, query?: EventQuery): Promise<HistoryEvent[]> {
    const { after, limit } = checkEventQuery(query);
    return (this.history.get(executionId) ?? []).filter((e) => e.seq > after).slice(0, limit).map((e) => structuredClone(e));
  }

  async unfinished(): Promise<ExecutionRecord[]> {
    return [...this.records.values()].filter((r) => !isTerminal(r.status)).map((r) => structuredClone(r));
  }

  async oldestEnded(limit: number): Promise<PruneCandidate[]> {
    return newestFirst([...this.records.values()].filter((r) => isTerminal(r.status)))
      .reverse()
      .slice(0, limit)
      .map((r) => ({ id: r.id, createdAt: r.createdAt, logBytes: logBytesOf(r) }));
  }

  async usage(): Promise<StoreUsage> {
    let logBytes = 0;
    for (const r of this.records.values()) logBytes += logBytesOf(r);
    return { records: this.records.size, logBytes };
  }

  async deleteEnded(ids: string[]): Promise<string[]> {
    return ids.filter((id) => {
      const record = this.records.get(id);
      if (record === undefined || !isTerminal(record.status)) return false;
      this.history.delete(id);
      return this.records.delete(id);
    });
  }

  async close(): Promise<void> {}
}

function matches(r: ExecutionRecord, f: CheckedFilter): boolean {
  return (
    (!f.statuses || f.statuses.includes(r.status)) &&
    (!f.kind || r.kind === f.kind) &&
    (!f.name || r.name === f.name) &&
    (!f.nameContains || foldName(r.name).includes(f.nameContains)) &&
    (f.since === undefined || r.createdAt >= f.since) &&
    (f.until === undefined || r.createdAt < f.until) &&
    (!f.idPrefix || idPrefixOf(r.id) === f.idPrefix) &&
    (!f.cursor || isAfter(r, f.cursor))
  );
}

function newestFirst(records: ExecutionRecord[]): ExecutionRecord[] {
  return records.sort(compareNewestFirst);
}
