// Recovery of records a previous run left unfinished, set up by hand: the
// records and log files a killed server leaves, and real surviving processes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore, type ExecutionRecord } from '../dist/index.js';
import { indexEntry } from '../dist/engine/output/log-format.js';
import { logFilesOf, type LogFiles } from '../dist/engine/output/log-files.js';
import { dataKeyOf } from '../dist/engine/tree/marker.js';
import { makeRecord } from './fixtures/records.js';
import { openSidex, sidexHome } from './fixtures/open-sidex.js';
import { killedAfterAll, pidAlive } from './helpers/sidex.js';

/** Output files and index as a killed server leaves them (engine/output/log-format.ts). */
function writeLog(files: LogFiles, stretches: Array<['stdout' | 'stderr', string]>, unindexed = ''): void {
  const data = { stdout: '', stderr: '' };
  const index: Buffer[] = [];
  for (const [stream, text] of stretches) {
    data[stream] += text;
    index.push(indexEntry(stream, Date.now(), Buffer.byteLength(data[stream])));
  }
  if (unindexed) {
    // The child wrote this after the server's last index write, which was torn by the kill.
    data.stdout += unindexed;
    index.push(indexEntry('stdout', Date.now(), Buffer.byteLength(data.stdout)).subarray(0, 5));
  }
  fs.mkdirSync(path.dirname(files.index), { recursive: true });
  fs.writeFileSync(files.stdout, data.stdout);
  fs.writeFileSync(files.stderr, data.stderr);
  fs.writeFileSync(files.index, Buffer.concat(index));
}

/** A process that looks like a survivor of an execution: it carries the marker. */
function survivor(marker: string): number {
  const child = spawn('sleep', ['600'], { env: { PATH: process.env.PATH ?? '', SIDEX_MARK: marker }, detached: true, stdio: 'ignore' });
  child.unref();
  spawned.push(child.pid!);
  return child.pid!;
}
const spawned = killedAfterAll();

describe('recovery at start: records left unfinished are resolved', () => {
  const home = sidexHome();
  const logFiles = (id: string) => logFilesOf(path.join(home.dataDir, 'logs'), id);
  const key = dataKeyOf(home.dataDir);
  const now = Date.now();
  const queued = makeRecord({ status: 'queued', createdAt: now - 5000 });
  const starting = makeRecord({ status: 'starting', createdAt: now - 4000, stdout: { text: 'persisted tail', truncated: false, bytes: 14 } });
  const running = makeRecord({
    status: 'running',
    createdAt: now - 3000,
    startedAt: now - 2900,
    checkpoint: { step: 3, of: 10 },
    memory: { current: 5_000_000, peak: 9_000_000 },
    marker: `${key}.0ldrun01.1`,
  });
  // Its data directory was moved since: only its exact marker finds its processes.
  const stopping = makeRecord({ status: 'stopping', createdAt: now - 2000, startedAt: now - 1900, marker: '000000000000.0ldrun02.4' });
  const completed = makeRecord({ status: 'completed', createdAt: now - 1000, result: 42 });
  let survivors: number[] = [];

  it('sets the scene: a store and logs as a killed server leaves them, and surviving processes', async () => {
    const store = await openStore(undefined, home.dataDir);
    for (const r of [queued, starting, running, stopping, completed]) await store.insert(r);
    await store.close();
    writeLog(logFiles(running.id), [['stdout', 'hello\n'], ['stderr', 'warn ✓\n'], ['stdout', 'world\n']], 'end\n');
    writeLog(logFiles(stopping.id), [['stdout', 'x'.repeat(40)]]);
    fs.rmSync(logFiles(stopping.id).index); // the index could not be written: the output files still hold it all
    fs.mkdirSync(path.join(home.dataDir, 'scratch', 'oldrun01', 'slot-1'), { recursive: true });
    fs.mkdirSync(path.join(home.dataDir, 'scratch', running.id), { recursive: true });
    // An idle runtime's output file that no execution claimed.
    fs.mkdirSync(path.join(home.dataDir, 'logs', '.spare', 'oldrun01'), { recursive: true });
    fs.writeFileSync(path.join(home.dataDir, 'logs', '.spare', 'oldrun01', '1.out'), '');
    survivors = [survivor(running.marker!), survivor(`${key}.0ldrun03.9`), survivor(stopping.marker!)];
    expect(survivors.every(pidAlive)).toBe(true);
  });

  let sidex: Awaited<ReturnType<typeof openSidex>>;
  it('kills every survivor before open() returns', async () => {
    sidex = await openSidex(home.options({ engine: { tailBytes: 16 } }));
    for (const pid of survivors) expect(pidAlive(pid), `pid ${pid}`).toBe(false);
    expect(sidex.recovery?.recovered.sort()).toEqual([queued.id, starting.id, running.id, stopping.id].sort());
    expect(sidex.recovery?.killed).toEqual(expect.arrayContaining(survivors));
  });

  it('marks each failed / supervisor_lost, keeping its checkpoint (as the partial result)', async () => {
    for (const original of [queued, starting, running, stopping]) {
      const r = (await sidex.engine.get(original.id)) as ExecutionRecord;
      expect(r.status).toBe('failed');
      expect(r.stopReason).toBe('supervisor_lost');
      expect(r.error?.code).toBe('SUPERVISOR_LOST');
      expect(r.endedAt).toBeGreaterThanOrEqual(now);
      expect(r.memory.current).toBe(0);
      expect(r.createdAt).toBe(original.createdAt);
      const history = await sidex.engine.store.events(original.id);
      expect(history.at(-1)).toMatchObject({ type: 'status', data: { status: 'failed', stopReason: 'supervisor_lost', error: { code: 'SUPERVISOR_LOST' } } });
    }
    const r = await sidex.engine.get(running.id);
    expect(r?.checkpoint).toEqual({ step: 3, of: 10 });
    expect(r?.result).toEqual({ step: 3, of: 10 });
    expect(r?.memory.peak).toBe(9_000_000);
  });

  it('rebuilds the output tails from the logs (tail size, truncation and byte counts as the engine keeps them)', async () => {
    const r = await sidex.engine.get(running.id);
    // Every byte the child wrote, including what the index never covered.
    expect(r?.stdout).toEqual({ text: 'hello\nworld\nend\n', truncated: false, bytes: 16 });
    expect(r?.stderr).toEqual({ text: 'warn ✓\n', truncated: false, bytes: 9 });
    const s = await sidex.engine.get(stopping.id);
    expect(s?.stdout).toEqual({ text: 'x'.repeat(16), truncated: true, bytes: 40 });
    // No log (the server died before it had one): what the store had stays.
    expect((await sidex.engine.get(starting.id))?.stdout.text).toBe('persisted tail');
    const status = await sidex.sideExecution.getStatus(running.id);
    expect(status.success && status.output).toBe('hello\nworld\nend\n');
    expect(status.success && status.failure?.code).toBe('SUPERVISOR_LOST');
  });

  it('keeps the full log for `logs`, removes scratch space and unclaimed output files of earlier runs, leaves finished records alone', async () => {
    const frames = [];
    for await (const f of sidex.sideExecution.logs(running.id)) frames.push(`${f.stream}:${f.data}`);
    expect(frames).toEqual(['stdout:hello\n', 'stderr:warn ✓\n', 'stdout:world\n', 'stdout:end\n']);
    const unindexed = [];
    for await (const f of sidex.sideExecution.logs(stopping.id)) unindexed.push(`${f.stream}:${f.data}`);
    expect(unindexed).toEqual([`stdout:${'x'.repeat(40)}`]);
    expect(fs.existsSync(path.join(home.dataDir, 'scratch', running.id))).toBe(false);
    expect(fs.existsSync(path.join(home.dataDir, 'scratch', 'oldrun01'))).toBe(false);
    expect(fs.existsSync(path.join(home.dataDir, 'logs', '.spare', 'oldrun01'))).toBe(false);
    expect(await sidex.engine.get(completed.id)).toEqual(completed);
  });

  it('the next start finds nothing to recover', async () => {
    await sidex.close();
    const again = await openSidex(home.options());
    expect(again.recovery?.recovered).toEqual([]);
    const counts = await again.sideExecution.counts();
    expect(counts.success && counts.counts).toEqual({ queued: 0, starting: 0, running: 0, stopping: 0, completed: 1, failed: 4, stopped: 0, timeout: 0 });
    await again.close();
  });
});
