import { SidexError } from '../errors.js';

/** Newest first; the cursor is the (createdAt, id) of the last item of a page. */
export interface CursorKey {
  createdAt: number;
  id: string;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(`${key.createdAt}:${key.id}`).toString('base64url');
}

export function decodeCursor(cursor: unknown): CursorKey {
  const bad = () =>
    new SidexError('INVALID_CURSOR', `cursor ${JSON.stringify(cursor)} is not one this server issued (pass back a nextCursor unchanged)`, {
      field: 'cursor',
    });
  if (typeof cursor !== 'string') throw bad();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const sep = text.indexOf(':');
  const createdAt = Number(text.slice(0, sep));
  const id = text.slice(sep + 1);
  // Stores compare createdAt with a BIGINT column: only whole numbers are cursors.
  if (sep < 1 || !Number.isSafeInteger(createdAt) || !id || encodeCursor({ createdAt, id }) !== cursor) throw bad();
  return { createdAt, id };
}

/** Newest first: createdAt, then id, descending (ids compare by code unit, as byte-wise for ASCII). */
export function compareNewestFirst(a: CursorKey, b: CursorKey): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** Whether a record comes after the cursor in newest-first order. */
export function isAfter(record: CursorKey, cursor: CursorKey): boolean {
  return record.createdAt < cursor.createdAt || (record.createdAt === cursor.createdAt && record.id < cursor.id);
}

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 1000;
