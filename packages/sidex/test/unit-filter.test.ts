// One reading of list filters for every store.
import { describe, expect, it } from 'vitest';
import { checkFilter, foldName, idPrefixOf } from '../dist/store/filter.js';
import { DEFAULT_PAGE, encodeCursor, MAX_PAGE } from '../dist/store/paging.js';

const invalid = (field: string) => expect.objectContaining({ code: 'INVALID_FILTER', details: { field } });

describe('checkFilter', () => {
  it('an empty filter is the default page', () => {
    expect(checkFilter({})).toEqual({ limit: DEFAULT_PAGE });
  });

  it('the limit is capped, not refused', () => {
    expect(checkFilter({ limit: MAX_PAGE + 1 }).limit).toBe(MAX_PAGE);
    expect(checkFilter({ limit: 1 }).limit).toBe(1);
  });

  it.each([0, -1, 1.5, '10', Number.NaN])('limit %s is refused', (limit) => {
    expect(() => checkFilter({ limit: limit as number })).toThrow(invalid('limit'));
  });

  it('statuses: deduplicated, in the order given', () => {
    expect(checkFilter({ status: ['failed', 'running', 'failed'] }).statuses).toEqual(['failed', 'running']);
  });

  it.each([
    ['not a list', 'running'],
    ['an empty list', []],
    ['an unknown status', ['running', 'lost']],
  ])('status as %s is refused', (_, status) => {
    expect(() => checkFilter({ status: status as never })).toThrow(invalid('status'));
  });

  it('kind: only inline or block', () => {
    expect(checkFilter({ kind: 'block' }).kind).toBe('block');
    expect(() => checkFilter({ kind: 'pipeline' as never })).toThrow(invalid('kind'));
  });

  it('texts that filter nothing are dropped; nameContains is folded', () => {
    expect(checkFilter({ name: '', nameContains: '', idPrefix: '' })).toEqual({ limit: DEFAULT_PAGE });
    expect(checkFilter({ name: 'Nightly', nameContains: 'NiGhT', idPrefix: 'cap' })).toEqual({
      limit: DEFAULT_PAGE,
      name: 'Nightly',
      nameContains: 'night',
      idPrefix: 'cap',
    });
    expect(() => checkFilter({ name: 5 as never })).toThrow(invalid('name'));
  });

  it('times become whole ms, rounded up, clamped to the safe range', () => {
    expect(checkFilter({ since: 10.2, until: 20 })).toMatchObject({ since: 11, until: 20 });
    expect(checkFilter({ until: Number.POSITIVE_INFINITY }).until).toBe(Number.MAX_SAFE_INTEGER);
    expect(checkFilter({ since: Number.NEGATIVE_INFINITY }).since).toBe(Number.MIN_SAFE_INTEGER);
    expect(() => checkFilter({ since: Number.NaN })).toThrow(invalid('since'));
    expect(() => checkFilter({ until: '2024' as never })).toThrow(invalid('until'));
  });

  it('the cursor is decoded', () => {
    expect(checkFilter({ cursor: encodeCursor({ createdAt: 7, id: 'side_7_00' }) }).cursor).toEqual({ createdAt: 7, id: 'side_7_00' });
    expect(() => checkFilter({ cursor: 'nonsense' })).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
  });

  it('a filter that is not an object is refused', () => {
    expect(() => checkFilter(null as never)).toThrow(invalid('(filter)'));
  });
});

describe('name and id helpers', () => {
  it('foldName lowers case', () => {
    expect(foldName('Nightly JOB')).toBe('nightly job');
  });

  it('idPrefixOf is the part before the first underscore', () => {
    expect(idPrefixOf('side_1_abc')).toBe('side');
    expect(idPrefixOf('cap_x')).toBe('cap');
    expect(idPrefixOf('plain')).toBe('plain');
  });
});
