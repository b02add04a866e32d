import type { EventColumns } from '../sql/dialect.js';
import type { SqlStatement } from '../sql/sql-runner.js';

/**
 * A record's write and its history events as one statement, so one round
 * trip where a transaction takes four to six: PostgreSQL commits a lone
 * statement by itself, all of it or none. The events are written only when
 * the record statement wrote a row (its RETURNING), so an update of a record
 * no longer stored leaves no orphan history. A relaxed write turns
 * synchronous_commit off for its own transaction (set_config's `true`), which
 * the commit at the statement's end reads.
 */
export function recordWriteStatement(record: SqlStatement, events: readonly EventColumns[], relaxed: boolean): SqlStatement {
  const params = [...record.params];
  const add = (value: unknown) => (params.push(value), `$${params.length}`);
  const rows = events.map((e, i) => `(${i + 1}, ${add(e.time)}::bigint, ${add(e.type)}::text, ${add(e.data)}::text)`);
  const parts = [`rec AS (${record.sql} RETURNING id)`];
  if (rows.length > 0) {
    parts.push(
      'ev AS (INSERT INTO execution_events (execution_id, seq, time, type, data)' +
        ' SELECT rec.id, coalesce((SELECT max(seq) FROM execution_events WHERE execution_id = rec.id), 0) + v.n, v.time, v.type, v.data' +
        ` FROM rec, (VALUES ${rows.join(', ')}) AS v (n, time, type, data))`,
    );
  }
  return { sql: `WITH ${parts.join(', ')} SELECT ${relaxed ? "set_config('synchronous_commit', 'off', true)" : '1'}`, params };
}
