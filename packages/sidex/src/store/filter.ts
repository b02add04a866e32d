// One reading of a list filter for every store, so that memory, SQLite and
// PostgreSQL answer the same question the same way: bad values are refused
// here with the field named, and the rest is normalized once.
import { STATUSES, type ExecutionKind, type ExecutionStatus } from '../model/record.js';
import { SidexError } from '../errors.js';
import type { ListFilter } from './execution-store.js';
import { decodeCursor, DEFAULT_PAGE, MAX_PAGE, type CursorKey } from './paging.js';

/** A filter as the stores read it: checked, texts that filter nothing dropped, the cursor decoded. */
export interface CheckedFilter extends Pick<ListFilter, 'kind' | 'name' | 'idPrefix'> {
  statuses?: ExecutionStatus[];
  /** Already folded with `foldName`. */
  nameContains?: string;
  /** Whole epoch ms (createdAt is whole ms): `since` <= createdAt < `until`. */
  since?: number;
  until?: number;
  limit: number;
  cursor?: CursorKey;
}

const KINDS: readonly ExecutionKind[] = ['inline', 'block', 'command'];

/** Case folding of names for text search, done in JavaScript so every store folds alike. */
export const foldName = (name: string): string => name.toLowerCase();

/** The part of an id before its first `_` (`side`, `cap`, `task`). */
export const idPrefixOf = (id: string): string => {
  const cut = id.indexOf('_');
  return cut < 0 ? id : id.slice(0, cut);
};

export function checkFilter(filter: ListFilter): CheckedFilter {
  if (filter === null || typeof filter !== 'object') throw invalid('(filter)', 'must be an object');
  const checked: CheckedFilter = { limit: checkLimit(filter.limit) };
  if (filter.status !== undefined) checked.statuses = checkStatuses(filter.status);
  if (filter.kind !== undefined) {
    if (!KINDS.includes(filter.kind)) throw invalid('kind', `"${String(filter.kind)}" is not a kind (one of ${KINDS.join(', ')})`);
    checked.kind = filter.kind;
  }
  const name = optionalText('name', filter.name);
  if (name) checked.name = name;
  const contains = optionalText('nameContains', filter.nameContains);
  if (contains) checked.nameContains = foldName(contains);
  const prefix = optionalText('idPrefix', filter.idPrefix);
  if (prefix) checked.idPrefix = prefix;
  if (filter.since !== undefined) checked.since = wholeMs('since', filter.since);
  if (filter.until !== undefined) checked.until = wholeMs('until', filter.until);
  if (filter.cursor !== undefined) checked.cursor = decodeCursor(filter.cursor);
  return checked;
}

function checkLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw invalid('limit', `must be a whole number of at least 1 (got ${String(limit)})`);
  }
  return Math.min(limit, MAX_PAGE);
}

function checkStatuses(status: unknown): ExecutionStatus[] {
  if (!Array.isArray(status)) throw invalid('status', 'must be a list of statuses');
  if (status.length === 0) throw invalid('status', 'must name at least one status');
  for (const s of status) {
    if (!(STATUSES as readonly unknown[]).includes(s)) {
      throw invalid('status', `"${String(s)}" is not a status (one of ${STATUSES.join(', ')})`);
    }
  }
  return [...new Set(status as ExecutionStatus[])];
}

function optionalText(field: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  return value;
}

/**
 * createdAt is whole ms, so `createdAt >= x` is `createdAt >= ceil(x)` and
 * `createdAt < x` is `createdAt < ceil(x)`; clamped to the safe-integer range
 * a BIGINT column can take.
 */
function wholeMs(field: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalid(field, 'must be a time in epoch milliseconds');
  return Math.min(Math.max(Math.ceil(value), Number.MIN_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
}

function invalid(field: string, message: string): SidexError {
  return new SidexError('INVALID_FILTER', `list filter: ${field}: ${message}`, { field });
}
