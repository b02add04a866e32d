// The one store test suite. Every store (memory, SQLite, PostgreSQL) runs it
// through its own factory and must answer every question identically. Where a
// list is checked, the expected answer is computed here from the records the
// test wrote (the filter's meaning, written once), not read from a store.
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionRecord, ExecutionStatus, ExecutionStore, ListFilter } from '../dist/index.js';
import { ENDED_STATUSES, fullRecord, LIVE_STATUSES, makeRecord } from './fixtures/records.js';

export interface StoreFactory {
  /** A new, empty store. */
  open(): Promise<ExecutionStore>;
  /** Removes what `open` created (files, schemas), after the store is closed. */
  cleanup?(): Promise<void>;
}

const ALL_STATUSES: ExecutionStatus[] = [...LIVE_STATUSES, ...ENDED_STATUSES];

/** Newest first: createdAt, then id, descending. */
const newestFirst = (a: ExecutionRecord, b: ExecutionRecord) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

async function walk(store: ExecutionStore, filter: ListFilter): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.list({ ...filter, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((r) => r.id));
    if (!page.nextCursor) return ids;
    expect(page.items.length).toBe(filter.limit ?? 50);
    cursor = page.nextCursor;
  }
  throw new Error('paging never ended');
}

/**
 * A varied set: statuses, kinds, prefixes, names, and createdAt ties broken by
 * ids that differ in case only ('a1' < 'b3' but 'B2' < 'a1' byte-wise, where a
 * linguistic collation says 'a1' < 'B2'): ids must compare byte-wise everywhere.
 */
function corpus(): ExecutionRecord[] {
  const names = ['Build Report', 'build-report', 'Deploy', 'déploiement Été', '100% done_ok', 'plain', 'ÉTÉ summary'];
  const records: ExecutionRecord[] = [];
  for (let i = 0; i < 60; i++) {
    const createdAt = 1_800_000_000_000 + Math.floor(i / 3) * 1000; // three records per instant
    const prefix = i % 5 === 0 ? 'cap' : 'side';
    records.push(
      makeRecord({
        id: `${prefix}_${createdAt}_${['a1', 'B2', 'b3'][i % 3]}`,
        createdAt,
        status: ALL_STATUSES[i % ALL_STATUSES.length]!,
        kind: i % 4 === 0 ? 'block' : 'inline',
        name: names[i % names.length]!,
        stdout: { text: 'o', truncated: false, bytes: i * 10 },
        stderr: { text: 'e', truncated: false, bytes: i },
      }),
    );
  }
  return records;
}

export function storeContract(label: string, factory: StoreFactory): void {
  describe(`store contract: ${label}`, () => {
    const opened: ExecutionStore[] = [];
    async function fresh(records: ExecutionRecord[] = []): Promise<ExecutionStore> {
      const store = await factory.open();
      opened.push(store);
      for (const r of records) await store.insert(r);
      return store;
    }
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
      await factory.cleanup?.();
    });

    describe('records', () => {
      it('keeps every field of a record exactly, and gives back copies', async () => {
        const record = fullRecord();
        const store = await fresh([record]);
        const got = await store.get(record.id);
        expect(got).toEqual(record);
        got!.name = 'changed';
        got!.memory.peak = -1;
        expect(await store.get(record.id)).toEqual(record);
      });

      it('keeps a 1 MB output tail', async () => {
        const text = 'x'.repeat(1024 * 1024 - 3) + '✓';
        const record = makeRecord({ stdout: { text, truncated: true, bytes: 50_000_000 } });
        const store = await fresh([record]);
        expect((await store.get(record.id))?.stdout.text).toBe(text);
      });

      it('answers undefined for an unknown id', async () => {
        const store = await fresh([makeRecord()]);
        expect(await store.get('side_0_nothere')).toBeUndefined();
      });

      it('update replaces the whole record; an unknown id creates nothing', async () => {
        const record = fullRecord({ status: 'running' });
        const store = await fresh([record]);
        const { result: _r, error: _e, checkpoint: _c, ...rest } = record;
        const replaced: ExecutionRecord = { ...rest, status: 'completed', name: 'renamed', endedAt: record.createdAt + 5 };
        await store.update(replaced);
        expect(await store.get(record.id)).toEqual(replaced);
        await store.update(makeRecord({ id: 'side_1_ghost' }));
        expect(await store.get('side_1_ghost')).toBeUndefined();
        expect((await store.usage()).records).toBe(1);
      });

      it('an insert of a known id replaces that record', async () => {
        const first = makeRecord({ name: 'first' });
        const store = await fresh([first]);
        await store.insert({ ...first, name: 'second', status: 'failed' });
        expect((await store.get(first.id))?.name).toBe('second');
        expect((await store.counts()).failed).toBe(1);
        expect((await store.usage()).records).toBe(1);
      });

      it('applies a sequence of updates in the order they were issued', async () => {
        const record = makeRecord({ status: 'queued' });
        const store = await fresh([record]);
        const steps: ExecutionStatus[] = ['starting', 'running', 'stopping', 'stopped'];
        let chain = Promise.resolve();
        for (const status of steps) chain = chain.then(() => store.update({ ...record, status }));
        await chain;
        expect((await store.get(record.id))?.status).toBe('stopped');
      });
    });

    describe('list', () => {
      it('lists newest first, ties broken by id, and pages through everything once', async () => {
        const records = corpus();
        const store = await fresh(records);
        const expected = [...records].sort(newestFirst).map((r) => r.id);
        for (const limit of [1, 7, 20, 60, 1000]) expect(await walk(store, { limit })).toEqual(expected);
      });

      it('gives no cursor when a page ends exactly at the last record', async () => {
        const store = await fresh(corpus().slice(0, 10));
        const page = await store.list({ limit: 10 });
        expect(page.items).toHaveLength(10);
        expect(page.nextCursor).toBeUndefined();
      });

      it('pages 50 by default and at most 1000', async () => {
        const records = Array.from({ length: 1001 }, (_, i) => makeRecord({ createdAt: 1_900_000_000_000 + i }));
        const store = await fresh(records);
        expect((await store.list({})).items).toHaveLength(50);
        const big = await store.list({ limit: 5000 });
        expect(big.items).toHaveLength(1000);
        expect(big.nextCursor).toBeDefined();
        const rest = await store.list({ limit: 5000, cursor: big.nextCursor! });
        expect(rest.items.map((r) => r.id)).toEqual([records[0]!.id]);
      });

      const filters: Array<[string, ListFilter, (r: ExecutionRecord) => boolean]> = [
        ['one status', { status: ['running'] }, (r) => r.status === 'running'],
        ['several statuses', { status: ['failed', 'queued', 'timeout'] }, (r) => ['failed', 'queued', 'timeout'].includes(r.status)],
        ['kind', { kind: 'block' }, (r) => r.kind === 'block'],
        ['exact name', { name: 'Deploy' }, (r) => r.name === 'Deploy'],
        ['exact name is case-sensitive', { name: 'deploy' }, () => false],
        ['text in the name, any case', { nameContains: 'REPORT' }, (r) => r.name.toLowerCase().includes('report')],
        ['text beyond ASCII, any case', { nameContains: 'été' }, (r) => r.name.toLowerCase().includes('été')],
        ['% and _ are plain text', { nameContains: '% done_' }, (r) => r.name.includes('% done_')],
        ['_ alone is plain text', { nameContains: '_' }, (r) => r.name.includes('_')],
        ['since (inclusive)', { since: 1_800_000_010_000 }, (r) => r.createdAt >= 1_800_000_010_000],
        ['until (exclusive)', { until: 1_800_000_010_000 }, (r) => r.createdAt < 1_800_000_010_000],
        ['fractional times', { since: 1_800_000_009_999.5, until: 1_800_000_012_000.5 }, (r) => r.createdAt >= 1_800_000_010_000 && r.createdAt <= 1_800_000_012_000],
        ['a range beyond any date', { since: -1e300, until: 1e300 }, () => true],
        ['id prefix', { idPrefix: 'cap' }, (r) => r.id.startsWith('cap_')],
        ['empty texts filter nothing', { name: '', nameContains: '', idPrefix: '' }, () => true],
        [
          'everything at once',
          { status: ['completed', 'running', 'queued', 'stopping'], kind: 'inline', nameContains: 'e', since: 1_800_000_002_000, until: 1_800_000_018_000, idPrefix: 'side' },
          (r) =>
            ['completed', 'running', 'queued', 'stopping'].includes(r.status) &&
            r.kind === 'inline' &&
            r.name.toLowerCase().includes('e') &&
            r.createdAt >= 1_800_000_002_000 &&
            r.createdAt < 1_800_000_018_000 &&
            r.id.startsWith('side_'),
        ],
      ];

      it.each(filters)('filters: %s', async (_label, filter, keep) => {
        const records = corpus();
        const store = await fresh(records);
        const expected = records.filter(keep).sort(newestFirst).map((r) => r.id);
        expect(await walk(store, { ...filter, limit: 1000 })).toEqual(expected);
        expect(await walk(store, { ...filter, limit: 4 })).toEqual(expected);
      });

      it('refuses a bad filter with INVALID_FILTER naming the field, and changes nothing', async () => {
        const store = await fresh(corpus());
        const before = await store.counts();
        const bad: Array<[unknown, string]> = [
          [{ status: ['nope'] }, 'status'],
          [{ status: [] }, 'status'],
          [{ status: 'running' }, 'status'],
          [{ kind: 'script' }, 'kind'],
          [{ limit: 0 }, 'limit'],
          [{ limit: -5 }, 'limit'],
          [{ limit: 2.5 }, 'limit'],
          [{ limit: '10' }, 'limit'],
          [{ since: Number.NaN }, 'since'],
          [{ until: 'yesterday' }, 'until'],
          [{ name: 42 }, 'name'],
          [{ nameContains: {} }, 'nameContains'],
          [{ idPrefix: ['side'] }, 'idPrefix'],
        ];
        for (const [filter, field] of bad) {
          const err = await store.list(filter as ListFilter).then(
            () => undefined,
            (e: unknown) => e as { code?: string; message?: string; details?: { field?: string } },
          );
          expect(err?.code, JSON.stringify(filter)).toBe('INVALID_FILTER');
          expect(err?.details?.field).toBe(field);
          expect(err?.message).toContain(field);
        }
        expect(await store.counts()).toEqual(before);
      });

      it('refuses a cursor it did not issue with INVALID_CURSOR', async () => {
        const store = await fresh(corpus());
        const page = await store.list({ limit: 5 });
        const tampered = Buffer.from(`${Buffer.from(page.nextCursor!, 'base64url').toString()}x:y`).toString('base64url');
        for (const cursor of ['garbage', '', 'MTIzNA', Buffer.from('1.5:side_x').toString('base64url'), Buffer.from('abc:side_x').toString('base64url'), tampered.replace(/^./, '!'), 7]) {
          const err = await store.list({ cursor: cursor as string }).then(
            () => undefined,
            (e: unknown) => e as { code?: string },
          );
          expect(err?.code, String(cursor)).toBe('INVALID_CURSOR');
        }
      });
    });

    describe('counts and recovery queries', () => {
      it('counts every status, zeros included', async () => {
        const records = corpus();
        const store = await fresh(records);
        const expected = Object.fromEntries(ALL_STATUSES.map((s) => [s, records.filter((r) => r.status === s).length]));
        expect(await store.counts()).toEqual(expected);
        const empty = await fresh();
        expect(await empty.counts()).toEqual(Object.fromEntries(ALL_STATUSES.map((s) => [s, 0])));
      });

      it('unfinished: exactly the records that are not terminal', async () => {
        const records = corpus();
        const store = await fresh(records);
        const got = await store.unfinished();
        expect(got.map((r) => r.id).sort()).toEqual(records.filter((r) => LIVE_STATUSES.includes(r.status)).map((r) => r.id).sort());
        const one = records.find((r) => r.status === 'running')!;
        expect(got.find((r) => r.id === one.id)).toEqual(one);
      });
    });

    describe('retention primitives', () => {
      it('oldestEnded: terminal records only, oldest first, with their log bytes', async () => {
        const records = corpus();
        const store = await fresh(records);
        const ended = records.filter((r) => ENDED_STATUSES.includes(r.status)).sort(newestFirst).reverse();
        const got = await store.oldestEnded(7);
        expect(got).toEqual(ended.slice(0, 7).map((r) => ({ id: r.id, createdAt: r.createdAt, logBytes: r.stdout.bytes + r.stderr.bytes })));
        expect(await store.oldestEnded(1000)).toHaveLength(ended.length);
      });

      it('usage: how many records and how many log bytes', async () => {
        const records = corpus();
        const store = await fresh(records);
        expect(await store.usage()).toEqual({
          records: records.length,
          logBytes: records.reduce((sum, r) => sum + r.stdout.bytes + r.stderr.bytes, 0),
        });
        expect(await (await fresh()).usage()).toEqual({ records: 0, logBytes: 0 });
      });

      it('deleteEnded deletes terminal records only, and says which', async () => {
        const records = corpus();
        const store = await fresh(records);
        const live = records.filter((r) => LIVE_STATUSES.includes(r.status)).slice(0, 3);
        const ended = records.filter((r) => ENDED_STATUSES.includes(r.status)).slice(0, 3);
        const deleted = await store.deleteEnded([...live, ...ended].map((r) => r.id).concat('side_0_unknown'));
        expect(deleted.sort()).toEqual(ended.map((r) => r.id).sort());
        for (const r of ended) expect(await store.get(r.id)).toBeUndefined();
        for (const r of live) expect(await store.get(r.id)).toEqual(r);
        expect((await store.usage()).records).toBe(records.length - 3);
        expect(await store.deleteEnded([])).toEqual([]);
      });
    });

    describe("events (an execution's history)", () => {
      it('appends in order with seq 1, 2, 3 per execution, keeping time, type and data exactly', async () => {
        const [a, b] = [makeRecord({ id: 'side_1_aaaaaaaa' }), makeRecord({ id: 'side_1_bbbbbbbb' })];
        const store = await fresh([a, b]);
        await store.appendEvent(a.id, { time: 10, type: 'status', data: { status: 'queued' } });
        await store.appendEvent(b.id, { time: 11, type: 'status', data: { status: 'queued' } });
        await store.appendEvent(a.id, { time: 12, type: 'checkpoint', data: { upTo: 3, nested: ['é', null, 1.5] } });
        await store.appendEvent(a.id, { time: 13, type: 'stop_requested' });
        expect(await store.events(a.id)).toEqual([
          { seq: 1, time: 10, type: 'status', data: { status: 'queued' } },
          { seq: 2, time: 12, type: 'checkpoint', data: { upTo: 3, nested: ['é', null, 1.5] } },
          { seq: 3, time: 13, type: 'stop_requested' },
        ]);
        expect(await store.events(b.id)).toEqual([{ seq: 1, time: 11, type: 'status', data: { status: 'queued' } }]);
        expect(await store.events('side_0_unknown')).toEqual([]);
        await store.appendEvent('side_0_unknown', { time: 1, type: 'status' });
        expect(await store.events('side_0_unknown')).toEqual([]); // no history without its record
      });

      it('pages with after and limit; refuses bad bounds with INVALID_FILTER', async () => {
        const record = makeRecord();
        const store = await fresh([record]);
        for (let i = 1; i <= 7; i++) await store.appendEvent(record.id, { time: i, type: 'status', data: i });
        expect((await store.events(record.id, { after: 2, limit: 3 })).map((e) => e.seq)).toEqual([3, 4, 5]);
        expect((await store.events(record.id, { after: 7 })).length).toBe(0);
        for (const bad of [{ after: -1 }, { after: 1.5 }, { limit: 0 }, { limit: 100_001 }]) {
          await expect(store.events(record.id, bad)).rejects.toMatchObject({ code: 'INVALID_FILTER' });
        }
      });

      it('insert and update with an event write the record and append the event together', async () => {
        const record = makeRecord({ status: 'queued' });
        const store = await fresh();
        await store.insert(record, { time: 1, type: 'status', data: { status: 'queued' } });
        const running = { ...record, status: 'running' as const, startedAt: record.createdAt + 5 };
        await store.update(running, { time: 2, type: 'status', data: { status: 'running' } });
        await store.update(running);
        expect(await store.get(record.id)).toEqual(running);
        expect((await store.events(record.id)).map((e) => [e.seq, e.data])).toEqual([
          [1, { status: 'queued' }],
          [2, { status: 'running' }],
        ]);
      });

      it('relaxed writes (passing states) are applied, visible and ordered as any other, with or without events', async () => {
        const record = makeRecord({ status: 'queued' });
        const store = await fresh();
        await store.insert(record, { time: 1, type: 'status', data: { status: 'queued' } });
        const starting = { ...record, status: 'starting' as const };
        await store.insert(starting, [{ time: 2, type: 'status', data: { status: 'starting' } }], { relaxed: true });
        const running = { ...record, status: 'running' as const, startedAt: record.createdAt + 5 };
        await store.update(running, { time: 3, type: 'status', data: { status: 'running' } }, { relaxed: true });
        expect(await store.get(record.id)).toEqual(running);
        const stopping = { ...running, status: 'stopping' as const };
        await store.update(stopping, undefined, { relaxed: true });
        expect(await store.get(record.id)).toEqual(stopping);
        expect((await store.events(record.id)).map((e) => e.data)).toEqual([{ status: 'queued' }, { status: 'starting' }, { status: 'running' }]);
      });

      it('deleteEnded deletes the history with the record', async () => {
        const ended = makeRecord({ status: 'completed' });
        const store = await fresh([ended]);
        await store.appendEvent(ended.id, { time: 1, type: 'status', data: { status: 'completed' } });
        expect(await store.deleteEnded([ended.id])).toEqual([ended.id]);
        expect(await store.events(ended.id)).toEqual([]);
        await store.insert(ended);
        await store.appendEvent(ended.id, { time: 2, type: 'status' });
        expect((await store.events(ended.id)).map((e) => e.seq)).toEqual([1]);
      });
    });
  });
}

/**
 * SQL stores: a record write and its event are one transaction. An event the
 * database refuses (a NOT NULL column) must leave the record as it was, and an
 * insert must leave no record at all.
 */
export function sqlWriteAtomicity(label: string, factory: StoreFactory): void {
  describe(`record and event in one transaction: ${label}`, () => {
    afterEach(async () => factory.cleanup?.());

    it('an event the database refuses leaves nothing of its write', async () => {
      const store = await factory.open();
      try {
        const refused = { time: 1, type: null as unknown as string };
        const record = makeRecord({ status: 'queued' });
        await expect(store.insert(record, refused)).rejects.toBeDefined();
        expect(await store.get(record.id)).toBeUndefined();
        await store.insert(record, { time: 1, type: 'status' });
        await expect(store.update({ ...record, status: 'running' }, refused)).rejects.toBeDefined();
        expect((await store.get(record.id))?.status).toBe('queued');
        expect((await store.events(record.id)).length).toBe(1);
        // The store goes on: the failed transaction was rolled back, not left open.
        await store.update({ ...record, status: 'running' }, { time: 2, type: 'status' });
        expect((await store.get(record.id))?.status).toBe('running');
        expect((await store.events(record.id)).length).toBe(2);
      } finally {
        await store.close();
      }
    });
  });
}
