// Cursors and the newest-first order every store pages in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareNewestFirst, decodeCursor, encodeCursor, isAfter, type CursorKey } from '../dist/store/paging.js';

const key = fc.record({ createdAt: fc.integer({ min: 0, max: 2 ** 45 }), id: fc.string({ minLength: 1, maxLength: 30 }) });

describe('cursors', () => {
  it('decode what encode gave', () => {
    fc.assert(
      fc.property(key, (k) => {
        expect(decodeCursor(encodeCursor(k))).toEqual(k);
      }),
    );
  });

  it('an id may hold the separator', () => {
    const k = { createdAt: 5, id: 'a:b:c' };
    expect(decodeCursor(encodeCursor(k))).toEqual(k);
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['no separator', Buffer.from('12345').toString('base64url')],
    ['no id', Buffer.from('12345:').toString('base64url')],
    ['no time', Buffer.from(':side_1').toString('base64url')],
    ['a fractional time', Buffer.from('1.5:side_1').toString('base64url')],
    ['an unsafe time', Buffer.from(`${2 ** 60}:side_1`).toString('base64url')],
    ['not as this server writes it (padding)', `${encodeCursor({ createdAt: 1, id: 'side_1' })}=`],
  ])('%s is refused with INVALID_CURSOR', (_, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR', details: { field: 'cursor' } }));
  });
});

describe('newest first', () => {
  it('orders by createdAt descending, then id descending', () => {
    const keys: CursorKey[] = [
      { createdAt: 1, id: 'b' },
      { createdAt: 2, id: 'a' },
      { createdAt: 1, id: 'c' },
      { createdAt: 2, id: 'b' },
    ];
    expect([...keys].sort(compareNewestFirst)).toEqual([
      { createdAt: 2, id: 'b' },
      { createdAt: 2, id: 'a' },
      { createdAt: 1, id: 'c' },
      { createdAt: 1, id: 'b' },
    ]);
  });

  it('isAfter agrees with the order: what follows a cursor sorts after it', () => {
    fc.assert(
      fc.property(key, key, (a, cursor) => {
        expect(isAfter(a, cursor)).toBe(compareNewestFirst(cursor, a) < 0);
      }),
    );
  });

  it('a key is not after itself', () => {
    expect(isAfter({ createdAt: 3, id: 'x' }, { createdAt: 3, id: 'x' })).toBe(false);
  });
});
