import { isTerminal, STATUSES, type ExecutionRecord, type ExecutionStatus } from '../../model/record.js';
import { checkEventQuery } from '../event-query.js';
import { eventList, type EventQuery, type WriteOptions, type HistoryEvent, type ExecutionStore, type ListFilter, type ListPage, type NewEvent, type PruneCandidate, type StoreUsage } from '../execution-store.js';
import { checkFilter, type CheckedFilter } from '../filter.js';
import { compareNewestFirst, encodeCursor } from '../paging.js';
import { RECORD_COLUMNS, recordFromDoc, rowValues, UPDATED_COLUMNS, UPDATED_POSITIONS } from '../record-columns.js';
import type { EventColumns } from './dialect.js';
import { listQuery } from './list-query.js';
import { SqlParams, type SqlRunner, type SqlStatement } from './sql-runner.js';

const TERMINAL = STATUSES.filter(isTerminal);
const LIVE = STATUSES.filter((s) => !isTerminal(s));

/**
 * The execution store on a SQL database (SQLite or PostgreSQL: the runner
 * hides which). Every statement is written once here.
 *
 * `owner` is set when the database is shared by several servers: each server
 * then recovers and prunes only its own records (their processes and log
 * files are on its machine), while reads see everyone's.
 */
export class SqlExecutionStore implements ExecutionStore {
  private readonly upsertSql: string;
  private readonly updateSql: string;

  constructor(
    private readonly db: SqlRunner,
    private readonly owner: string | null = null,
  ) {
    const ph = (i: number) => db.dialect.placeholder(i + 1);
    // An insert of a known id replaces that record (and takes it over).
    this.upsertSql =
      `INSERT INTO executions (${RECORD_COLUMNS.join(', ')}) VALUES (${RECORD_COLUMNS.map((_, i) => ph(i)).join(', ')})` +
      ` ON CONFLICT (id) DO UPDATE SET ${[...UPDATED_COLUMNS, 'owner'].map((c) => `${c} = excluded.${c}`).join(', ')}`;
    this.updateSql =
      `UPDATE executions SET ${UPDATED_COLUMNS.map((c, i) => `${c} = ${ph(i)}`).join(', ')}` +
      ` WHERE id = ${ph(UPDATED_COLUMNS.length)}`;
  }

  insert(record: ExecutionRecord, event?: NewEvent | readonly NewEvent[], options?: WriteOptions): Promise<void> {
    return this.write({ sql: this.upsertSql, params: rowValues(record, this.owner) }, record.id, event, options);
  }

  update(record: ExecutionRecord, event?: NewEvent, options?: WriteOptions): Promise<void> {
    const values = rowValues(record, this.owner);
    return this.write({ sql: this.updateSql, params: [...UPDATED_POSITIONS.map((i) => values[i]), record.id] }, record.id, event, options);
  }

  /**
   * A record write, with its history events in the same transaction when
   * there are any. SQLite has no relaxed commit: its relaxed writes are durable.
   */
  private async write(statement: SqlStatement, id: string, event: NewEvent | readonly NewEvent[] | undefined, options?: WriteOptions): Promise<void> {
    const events = eventList(event);
    const relaxed = options?.relaxed === true;
    const { recordWrite } = this.db.dialect;
    if (recordWrite && (events.length > 0 || relaxed)) {
      const one = recordWrite(statement, events.map(eventColumns), relaxed);
      await this.db.query(one.sql, one.params);
    } else if (events.length > 0) {
      await this.db.batch([statement, ...events.map((e) => this.eventStatement(id, e))]);
    } else {
      await this.db.query(statement.sql, statement.params);
    }
  }

  async get(id: string): Promise<ExecutionRecord | undefined> {
    const rows = await this.db.query<{ doc: string }>(`SELECT doc FROM executions WHERE id = ${this.db.dialect.placeholder(1)}`, [id]);
    return rows[0] && recordFromDoc(rows[0].doc);
  }

  async list(filter: ListFilter): Promise<ListPage> {
    const f = checkFilter(filter);
    const rows: PageRow[] = [];
    for (const part of byStatus(f)) {
      const { sql, params } = listQuery(this.db.dialect, part);
      rows.push(...(await this.db.query<PageRow>(sql, params)));
    }
    const keyed = rows.map((r) => ({ createdAt: Number(r.created_at), id: r.id, doc: r.doc })).sort(compareNewestFirst);
    const items = keyed.slice(0, f.limit).map((r) => recordFromDoc(r.doc));
    const last = items[items.length - 1];
    return keyed.length > f.limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  async counts(): Promise<Record<ExecutionStatus, number>> {
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ExecutionStatus, number>;
    const rows = await this.db.query<{ status: ExecutionStatus; n: number | string }>(
      'SELECT status, count(*) AS n FROM executions GROUP BY status',
    );
    for (const row of rows) if (row.status in counts) counts[row.status] = Number(row.n);
    return counts;
  }

  async appendEvent(executionId: string, event: NewEvent): Promise<void> {
    const { sql, params } = this.eventStatement(executionId, event);
    await this.db.query(sql, params);
  }

  /**
   * The next seq is taken in the statement itself: one execution's writes are
   * never concurrent. An execution the store no longer has (pruned meanwhile)
   * gets no orphan history.
   */
  private eventStatement(executionId: string, event: NewEvent): SqlStatement {
    const p = new SqlParams(this.db.dialect);
    // Parameters in order of appearance: SQLite's placeholders are positional.
    const { time, type, data } = eventColumns(event);
    const values = `${p.add(executionId)}, coalesce(max(seq), 0) + 1, ${p.add(time)}, ${p.add(type)}, ${p.add(data)}`;
    return {
      sql:
        `INSERT INTO execution_events (execution_id, seq, time, type, data) SELECT ${values} FROM execution_events` +
        ` WHERE execution_id = ${p.add(executionId)} HAVING EXISTS (SELECT 1 FROM executions WHERE id = ${p.add(executionId)})`,
      params: p.values,
    };
  }

  async events(executionId: string, query?: EventQuery): Promise<HistoryEvent[]> {
    const { after, limit } = checkEventQuery(query);
    const p = new SqlParams(this.db.dialect);
    const rows = await this.db.query<{ seq: number | string; time: number | string; type: string; data: string | null }>(
      `SELECT seq, time, type, data FROM execution_events WHERE execution_id = ${p.add(executionId)} AND seq > ${p.add(after)}` +
        ` ORDER BY seq LIMIT ${p.add(limit)}`,
      p.values,
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      time: Number(r.time),
      type: r.type,
      ...(r.data === null ? {} : { data: JSON.parse(r.data) as unknown }),
    }));
  }

  async unfinished(): Promise<ExecutionRecord[]> {
    const p = new SqlParams(this.db.dialect);
    const rows = await this.db.query<{ doc: string }>(
      `SELECT doc FROM executions WHERE status IN (${p.list(LIVE)})${this.ownerCondition(p, 'AND')} ORDER BY created_at, id`,
      p.values,
    );
    return rows.map((r) => recordFromDoc(r.doc));
  }

  async oldestEnded(limit: number): Promise<PruneCandidate[]> {
    const candidates: PruneCandidate[] = [];
    for (const status of TERMINAL) {
      const p = new SqlParams(this.db.dialect);
      const rows = await this.db.query<{ id: string; created_at: number | string; log_bytes: number | string }>(
        `SELECT id, created_at, log_bytes FROM executions WHERE status = ${p.add(status)}${this.ownerCondition(p, 'AND')}` +
          ` ORDER BY created_at, id LIMIT ${p.add(limit)}`,
        p.values,
      );
      candidates.push(...rows.map((r) => ({ id: r.id, createdAt: Number(r.created_at), logBytes: Number(r.log_bytes) })));
    }
    return candidates.sort((a, b) => compareNewestFirst(b, a)).slice(0, limit);
  }

  async usage(): Promise<StoreUsage> {
    const p = new SqlParams(this.db.dialect);
    const rows = await this.db.query<{ n: number | string; bytes: number | string | null }>(
      `SELECT count(*) AS n, sum(log_bytes) AS bytes FROM executions${this.ownerCondition(p, 'WHERE')}`,
      p.values,
    );
    return { records: Number(rows[0]?.n ?? 0), logBytes: Number(rows[0]?.bytes ?? 0) };
  }

  async deleteEnded(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const p = new SqlParams(this.db.dialect);
    const rows = await this.db.query<{ id: string }>(
      `DELETE FROM executions WHERE id IN (${p.list(ids)}) AND status IN (${p.list(TERMINAL)})${this.ownerCondition(p, 'AND')} RETURNING id`,
      p.values,
    );
    const deleted = rows.map((r) => r.id);
    if (deleted.length > 0) {
      const e = new SqlParams(this.db.dialect);
      await this.db.query(`DELETE FROM execution_events WHERE execution_id IN (${e.list(deleted)})`, e.values);
    }
    return deleted;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private ownerCondition(p: SqlParams, joiner: 'AND' | 'WHERE'): string {
    return this.owner === null ? '' : ` ${joiner} owner = ${p.add(this.owner)}`;
  }
}

interface PageRow {
  created_at: number | string;
  id: string;
  doc: string;
}

/**
 * One query per status when a filter names several, merged by the caller:
 * each single-status range comes out of the status index already in order and
 * stops at the page size, where `status IN (...)` makes the database sort
 * every match before it can page (SQLite does, at 100,000 records).
 */
function byStatus(f: CheckedFilter): CheckedFilter[] {
  return f.statuses && f.statuses.length > 1 ? f.statuses.map((s) => ({ ...f, statuses: [s] })) : [f];
}

function eventColumns(event: NewEvent): EventColumns {
  return { time: event.time, type: event.type, data: event.data === undefined ? null : JSON.stringify(event.data) };
}
