// Store figures of issue 4: records written per second by the SQLite store,
// beside a raw better-sqlite3 insert loop with the same durability settings
// measured in this run; then, with 100,000 records in the store, the time to
// open it (integrity check and recovery included) and the p50/p99 of
// getStatus, list and counts through the service every transport calls.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openStore, Sidex, type ExecutionRecord, type ExecutionStatus } from '../../packages/sidex/dist/index.js';
import { percentile, round, type BenchRow } from '../lib/row.js';

const WRITES = 20_000;
const ROUNDS = 10;
const FILL = 100_000;
const SAMPLES = 2_000;
const DAY = 24 * 60 * 60 * 1000;
const ENDED: ExecutionStatus[] = ['completed', 'completed', 'completed', 'completed', 'completed', 'completed', 'failed', 'stopped', 'timeout'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-bench-store-'));
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** A finished execution as the engine writes it: params, a result, a few lines of output. */
function record(i: number, start: number): ExecutionRecord {
  const createdAt = start + Math.floor((i * 30 * DAY) / FILL);
  const stdout = `step ${i} done\n`.repeat(12);
  return {
    id: `side_${createdAt}_${i.toString(16).padStart(8, '0')}`,
    kind: i % 7 === 0 ? 'block' : 'inline',
    name: `nightly job ${i % 200}`,
    params: { input: i, flags: ['a', 'b'] },
    status: ENDED[i % ENDED.length]!,
    createdAt,
    startedAt: createdAt + 2,
    endedAt: createdAt + 900,
    result: { ok: true, count: i },
    memory: { current: 0, peak: 48_000_000 },
    cpuMicros: 120_000,
    stdout: { text: stdout, truncated: false, bytes: stdout.length },
    stderr: { text: '', truncated: false, bytes: 0 },
    marker: `abcdef012345.0badf00d.${i}`,
    meta: {},
  };
}

export default async function storeBench(): Promise<BenchRow[]> {
  try {
    const dataDir = path.join(tmp, 'data');
    const start = Date.now() - 31 * DAY;
    const rows = await writeRate(dataDir, start);
    rows.push(...(await queries(dataDir)));
    return rows;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Inserts through the store (one durable write each) and through a raw
 * better-sqlite3 loop, in alternating rounds so that both see the same disk
 * weather; then full-record updates; then fills the store up to FILL records.
 */
async function writeRate(dataDir: string, start: number): Promise<BenchRow[]> {
  const store = await openStore(undefined, dataDir);
  const raw = rawTable(path.join(tmp, 'raw.db'));
  let storeMs = 0;
  let rawMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const from = (round * WRITES) / ROUNDS;
    const to = ((round + 1) * WRITES) / ROUNDS;
    let began = process.hrtime.bigint();
    for (let i = from; i < to; i++) raw.insert(record(i, start));
    rawMs += ms(began);
    began = process.hrtime.bigint();
    for (let i = from; i < to; i++) await store.insert(record(i, start));
    storeMs += ms(began);
  }
  raw.close();
  // Every state change of an execution is a full-record update.
  const began = process.hrtime.bigint();
  for (let i = 0; i < WRITES; i++) await store.update(record(i, start));
  const updateMs = ms(began);
  for (let i = WRITES; i < FILL; i++) await store.insert(record(i, start));
  await store.close();
  const perSecond = (total: number) => round(WRITES / (total / 1000), 0);
  const baseline = 'raw better-sqlite3 insert loop (same pragmas; id + JSON, one index)';
  return [
    {
      name: 'records written per second (SQLite, each durable)',
      value: perSecond(storeMs),
      unit: 'rec/s',
      baseline,
      baselineValue: perSecond(rawMs),
      ratio: `${round(rawMs / storeMs)}x`,
    },
    { name: 'state changes written per second (SQLite updates)', value: perSecond(updateMs), unit: 'rec/s' },
  ];
}

/** The baseline: a table of id and JSON, the store's pragmas, a prepared insert, nothing else. */
function rawTable(file: string): { insert(r: ExecutionRecord): void; close(): void } {
  const db = new Database(file);
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 10000');
  db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, doc TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (id, doc) VALUES (?, ?)');
  return { insert: (r) => void insert.run(r.id, JSON.stringify(r)), close: () => db.close() };
}

async function queries(dataDir: string): Promise<BenchRow[]> {
  const opening = process.hrtime.bigint();
  const sidex = await Sidex.open({ dataDir, engine: { poolSize: 0 } });
  const openMs = ms(opening);
  try {
    const api = sidex.sideExecution;
    const { ids, cursors } = await walkHistory(sidex);
    const rows: BenchRow[] = [{ name: `open with ${FILL / 1000}k records (quick_check, recovery)`, value: round(openMs), unit: 'ms' }];
    const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
    const measure = async (label: string, samples: number, call: () => Promise<{ success: boolean }>) => {
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const began = process.hrtime.bigint();
        const reply = await call();
        times.push(ms(began));
        if (!reply.success) throw new Error(`${label} failed`);
      }
      rows.push(
        { name: `${label} p50 (${FILL / 1000}k records)`, value: round(percentile(times, 50), 3), unit: 'ms' },
        { name: `${label} p99 (${FILL / 1000}k records)`, value: round(percentile(times, 99), 3), unit: 'ms' },
      );
    };
    await measure('getStatus', SAMPLES, () => api.getStatus(pick(ids)));
    await measure('list newest 50', SAMPLES, () => api.list({ limit: 50 }));
    await measure('list 50 at a deep cursor', SAMPLES, () => api.list({ limit: 50, cursor: pick(cursors) }));
    await measure('list by status (failed) 50', SAMPLES, () => api.list({ status: 'failed', limit: 50 }));
    await measure('list by 2 statuses 50', SAMPLES, () => api.list({ status: ['failed', 'timeout'], limit: 50 }));
    await measure('list by name 50', SAMPLES, () => api.list({ name: `nightly job ${Math.floor(Math.random() * 200)}`, limit: 50 }));
    await measure('list by time range 50', SAMPLES, async () => {
      const since = Date.now() - Math.floor(Math.random() * 30) * DAY;
      return api.list({ since, until: since + DAY, limit: 50 });
    });
    await measure('list by text in name 50', 200, () => api.list({ q: `job ${Math.floor(Math.random() * 200)}`, limit: 50 }));
    await measure('counts by status', 200, () => api.counts());
    return rows;
  } finally {
    await sidex.close();
  }
}

/** Every id, and cursors spread over the whole history as a client paging far back holds them. */
async function walkHistory(sidex: Sidex): Promise<{ ids: string[]; cursors: string[] }> {
  const ids: string[] = [];
  const cursors: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await sidex.engine.list({ limit: 500, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((r) => r.id));
    if (!page.nextCursor) return { ids, cursors };
    cursors.push((cursor = page.nextCursor));
  }
}
