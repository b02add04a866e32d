import { SidexError } from '../errors.js';
import type { EventQuery } from './execution-store.js';

export const DEFAULT_EVENTS = 1000;
export const MAX_EVENTS = 10_000;

export interface CheckedEventQuery {
  after: number;
  limit: number;
}

/** The same bounds for every store: INVALID_FILTER names the bad field. */
export function checkEventQuery(query: EventQuery = {}): CheckedEventQuery {
  const after = query.after ?? 0;
  const limit = query.limit ?? DEFAULT_EVENTS;
  if (!Number.isInteger(after) || after < 0) {
    throw new SidexError('INVALID_FILTER', 'after: must be a whole number, 0 or more (a seq)', { field: 'after' });
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENTS) {
    throw new SidexError('INVALID_FILTER', `limit: must be a whole number from 1 to ${MAX_EVENTS}`, { field: 'limit' });
  }
  return { after, limit };
}
