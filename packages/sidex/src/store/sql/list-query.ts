import type { CheckedFilter } from '../filter.js';
import type { SqlDialect } from './dialect.js';
import { SqlParams } from './sql-runner.js';

export interface BuiltQuery {
  sql: string;
  params: unknown[];
}

/**
 * The page query of a checked filter: newest first, one row more than the page
 * so the caller knows whether another page follows. The order (created_at, id)
 * matches the indexes, and the cursor is a row-value comparison on the same
 * pair, so paging deep stays an index range scan.
 */
export function listQuery(dialect: SqlDialect, f: CheckedFilter): BuiltQuery {
  const p = new SqlParams(dialect);
  const where: string[] = [];
  if (f.statuses) where.push(`status IN (${p.list(f.statuses)})`);
  if (f.kind) where.push(`kind = ${p.add(f.kind)}`);
  if (f.name) where.push(`name = ${p.add(f.name)}`);
  if (f.nameContains) where.push(dialect.contains('name_folded', p.add(f.nameContains)));
  if (f.since !== undefined) where.push(`created_at >= ${p.add(f.since)}`);
  if (f.until !== undefined) where.push(`created_at < ${p.add(f.until)}`);
  if (f.idPrefix) where.push(`id_prefix = ${p.add(f.idPrefix)}`);
  if (f.cursor) where.push(`(created_at, id) < (${p.add(f.cursor.createdAt)}, ${p.add(f.cursor.id)})`);
  const sql =
    `SELECT created_at, id, doc FROM executions${where.length ? ` WHERE ${where.join(' AND ')}` : ''}` +
    ` ORDER BY created_at DESC, id DESC LIMIT ${p.add(f.limit + 1)}`;
  return { sql, params: p.values };
}
