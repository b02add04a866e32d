// Retention prunes only what it should: the oldest ended executions, with
// their log files, in the background and in small batches; never a live one.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryStore, openStore, type ExecutionRecord, type ExecutionStore } from '../dist/index.js';
import { logFileList } from '../dist/engine/output/log-files.js';
import { Retention, type RetentionPolicy } from '../dist/lifecycle/retention.js';
import { openSidex, sidexHome } from './fixtures/open-sidex.js';
import { makeRecord } from './fixtures/records.js';
import { dataDirs } from './fixtures/sqlite-files.js';
import { eventually } from './helpers/sidex.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = 1_900_000_000_000;
const newDataDir = dataDirs();

const stores: Array<[string, (dir: string) => Promise<ExecutionStore>]> = [
  ['memory', async () => new MemoryStore()],
  ['sqlite', (dir) => openStore(undefined, dir)],
];

describe.each(stores)('retention on the %s store', (_label, open) => {
  let store: ExecutionStore;
  let logDir: string;
  const running: Retention[] = [];
  const logFiles = (id: string) => [path.join(logDir, `${id}.out`), path.join(logDir, `${id}.idx`)];

  async function setUp(records: ExecutionRecord[]): Promise<void> {
    const dir = newDataDir();
    store = await open(dir);
    logDir = path.join(dir, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    for (const r of records) {
      await store.insert(r);
      for (const file of logFiles(r.id)) fs.writeFileSync(file, 'log');
    }
  }
  function retention(policy: RetentionPolicy): Retention {
    const r = new Retention(store, policy, { logFiles, now: () => NOW });
    running.push(r);
    return r;
  }
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    await store.close();
  });

  /** One record a day, oldest first; the oldest two are still live. */
  const history = (days: number, logBytes = 100) =>
    Array.from({ length: days }, (_, i) =>
      makeRecord({
        createdAt: NOW - (days - i) * DAY,
        status: i < 2 ? (i === 0 ? 'running' : 'queued') : 'completed',
        stdout: { text: '', truncated: false, bytes: logBytes },
      }),
    );
  const remaining = async () => (await store.list({ limit: 1000 })).items.map((r) => r.id).reverse();

  it('keep N executions: the oldest ended go, live ones stay even when oldest', async () => {
    const records = history(12);
    await setUp(records);
    const pruned = await retention({ maxExecutions: 5 }).runOnce();
    expect(pruned).toEqual(records.slice(2, 9).map((r) => r.id));
    expect(await remaining()).toEqual([...records.slice(0, 2), ...records.slice(9)].map((r) => r.id));
  });

  it('keep N days: ended executions created before the cutoff go', async () => {
    const records = history(10);
    await setUp(records);
    const pruned = await retention({ maxAgeDays: 3.5 }).runOnce(); // 10 to 4 days old go, 3 to 1 stay
    expect(pruned).toEqual(records.slice(2, 7).map((r) => r.id));
    expect(await remaining()).toEqual([...records.slice(0, 2), ...records.slice(7)].map((r) => r.id));
  });

  it('keep N MB of logs: the oldest ended go until the output fits', async () => {
    const records = history(10, 300 * 1024); // 3 MB in all, 600 KB of it live
    await setUp(records);
    const pruned = await retention({ maxLogMb: 1 }).runOnce();
    expect(pruned).toEqual(records.slice(2, 9).map((r) => r.id));
    const usage = await store.usage();
    expect(usage.logBytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it('deletes the log file with the record, and only those', async () => {
    const records = history(6);
    await setUp(records);
    const pruned = await retention({ maxExecutions: 3 }).runOnce();
    for (const r of records) for (const file of logFiles(r.id)) expect(fs.existsSync(file), file).toBe(!pruned.includes(r.id));
  });

  it('never prunes a live execution, whatever the limits say', async () => {
    const records = history(5);
    await setUp(records);
    await retention({ maxExecutions: 0, maxAgeDays: 0, maxLogMb: 0 }).runOnce();
    expect(await remaining()).toEqual(records.slice(0, 2).map((r) => r.id));
  });

  it('within every limit: prunes nothing', async () => {
    await setUp(history(5));
    expect(await retention({ maxExecutions: 5, maxAgeDays: 30, maxLogMb: 1 }).runOnce()).toEqual([]);
    expect(await remaining()).toHaveLength(5);
  });

  it('works through more than one batch in a pass', async () => {
    const records = history(25);
    await setUp(records);
    const pruned = await retention({ maxExecutions: 2, batchSize: 3 }).runOnce();
    expect(pruned).toHaveLength(23);
    expect(await remaining()).toEqual(records.slice(0, 2).map((r) => r.id));
  });

  it('runs in the background until stopped', async () => {
    await setUp(history(4));
    const r = retention({ maxExecutions: 3, intervalMs: 20 });
    r.start();
    expect(await eventually(async () => (await store.usage()).records === 3)).toBe(true);
    await store.insert(makeRecord({ createdAt: NOW - 100 * DAY }));
    expect(await eventually(async () => (await store.usage()).records === 3)).toBe(true);
    await r.stop();
    await store.insert(makeRecord({ createdAt: NOW - 100 * DAY }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await store.usage()).records).toBe(4);
  });
});

describe('retention does not get in the way', () => {
  it('pruning 5,000 records in batches leaves the event loop free', async () => {
    const dir = newDataDir();
    const store = await openStore(undefined, dir);
    for (let i = 0; i < 5000; i++) await store.insert(makeRecord({ createdAt: NOW - 5000 + i }));
    const r = new Retention(store, { maxExecutions: 0, batchSize: 200 }, { logFiles: (id) => [path.join(dir, 'logs', `${id}.out`)] });
    // The longest stretch the event loop was held, counted in this process's
    // CPU time: other processes busy on this machine do not make it longer.
    let lastCpu = process.cpuUsage();
    let worstCpuMs = 0;
    const ticker = setInterval(() => {
      const used = process.cpuUsage(lastCpu);
      worstCpuMs = Math.max(worstCpuMs, (used.user + used.system) / 1000);
      lastCpu = process.cpuUsage();
    }, 1);
    try {
      expect(await r.runOnce()).toHaveLength(5000);
    } finally {
      clearInterval(ticker);
      await store.close();
    }
    // One batch of 200 holds it ~10 ms here; all 5,000 at once would hold it ~80 ms.
    expect(worstCpuMs).toBeLessThan(50);
  });

  it('its timer does not keep a process alive', async () => {
    const dist = fileURLToPath(new URL('../dist/', import.meta.url));
    const dir = newDataDir();
    const script = `
      import { openStore } from ${JSON.stringify(path.join(dist, 'index.js'))};
      import { Retention } from ${JSON.stringify(path.join(dist, 'lifecycle/retention.js'))};
      const store = await openStore('memory:', ${JSON.stringify(dir)});
      new Retention(store, { maxExecutions: 1, intervalMs: 60000 }, { logFiles: (id) => [id] }).start();`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    expect([code, signal]).toEqual([0, null]);
  });
});

describe('retention in sidex', () => {
  const home = sidexHome();

  it('Sidex.open with a policy prunes finished executions and their logs in the background', async () => {
    const sidex = await openSidex(home.options({ retention: { maxExecutions: 3, intervalMs: 30 } }));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const started = await sidex.sideExecution.startWithCode(`console.log(${i}); return ${i}`);
      if (!started.success) throw new Error(started.error);
      await sidex.sideExecution.wait(started.sideExecutionId);
      ids.push(started.sideExecutionId);
    }
    // A pass deletes the records, then their log files: wait for both.
    const pruned = async () => (await sidex.engine.store.usage()).records === 3 && ids.slice(0, 3).every((id) => logFileList(sidex.engine.logFiles(id)).every((f) => !fs.existsSync(f)));
    expect(await eventually(pruned, 5000)).toBe(true);
    for (const [i, id] of ids.entries()) {
      expect(!!(await sidex.engine.get(id)), id).toBe(i >= 3);
      for (const file of logFileList(sidex.engine.logFiles(id))) expect(fs.existsSync(file), file).toBe(i >= 3);
    }
    expect(await sidex.pruneNow()).toEqual([]);
    await sidex.close();
  });
});
