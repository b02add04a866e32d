// Limits enforced by the kernel through each execution's cgroups and
// RLIMIT_FSIZE (docs/limits.md), in both isolation modes, and what the
// fallback without kernel limits does instead. Real cgroups, real processes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sidex } from '../dist/index.js';
import { dataKeyOf } from '../dist/engine/tree/marker.js';
import { ownCgroupDir } from '../dist/engine/tree/cgroup-paths.js';
import { eventually, makeSidex, sleep, survivors, tempDir } from './helpers/sidex.js';
import { growsHeap } from './fixtures/workloads.js';

const MB = 1024 * 1024;
const forever = 'await new Promise(() => {});';

type Api = Sidex['sideExecution'];

async function runToEnd(sidex: Sidex, code: string, options: Record<string, unknown> = {}) {
  const started = await sidex.sideExecution.startWithCode(code, {}, undefined, options);
  if (!started.success) throw new Error(`${started.code}: ${started.error}`);
  const id = started.sideExecutionId;
  const marker = (await sidex.engine.get(id))?.marker;
  const done = await sidex.sideExecution.wait(id);
  if (!done.success) throw new Error(done.error);
  const record = (await sidex.engine.get(id))!;
  return { id, marker, done, record };
}

function ending(done: Awaited<ReturnType<Api['wait']>>) {
  return done.success ? [done.status, done.failure?.code, done.stopReason] : ['reply failed', done.code];
}

/** What a V8 crash dump looks like: none of it may be the error message. */
const CRASH_DUMP = /FATAL ERROR|Last few GCs|JavaScript stack|node::|v8::|0x[0-9a-f]{6,}/;

/** Bytes past the limit allowed for a flood of one stream: 10 % or 4 MB, whichever is larger. */
const slack = (limit: number) => Math.max(0.1 * limit, 4 * MB);

describe.each(['sandbox', 'process'] as const)('kernel limits, %s isolation', (isolation) => {
  const sidex = makeSidex({ engine: { isolation, poolSize: 1, maxConcurrent: 4 } });
  const limits = () => sidex.engine.limits;

  it('holds no descriptor for an execution once it is over: its cgroup counters are closed with it', async () => {
    const open = () => fs.readdirSync('/proc/self/fd').length;
    await runToEnd(sidex, 'return 1');
    await sidex.engine.warm();
    await sleep(100);
    const before = open();
    for (let i = 0; i < 15; i++) await runToEnd(sidex, 'return 1');
    await sidex.engine.warm();
    // Each runtime is let go just after its end is answered: the last one's turn comes at once.
    const settled = await eventually(() => open() <= before + 4, 3000);
    expect({ settled, before, after: open() }).toMatchObject({ settled: true });
  });

  it('says which limits the kernel enforces', () => {
    expect(sidex.engine.isolation.mode).toBe(isolation);
    console.log(`${isolation}: limits enforced by`, limits());
    for (const value of Object.values(limits())) expect(['cgroup2', 'cgroup1', 'rlimit', 'sampled', 'none']).toContain(value);
  });

  it('a grandchild (perl) allocating 4x a 64 MB memory limit: failed, MEMORY_LIMIT, peak reported, nothing left', async () => {
    const limit = 64 * MB;
    const { marker, done, record } = await runToEnd(
      sidex,
      `require('node:child_process').spawnSync('perl', ['-e', '$x = "a" x (256 * 1024 * 1024); sleep 600'], { stdio: 'inherit' }); ${forever}`,
      { memoryLimitMb: 64 },
    );
    expect(ending(done)).toEqual(['failed', 'MEMORY_LIMIT', 'memory_limit']);
    const peak = record.memory.peak;
    console.log(`${isolation}/${limits().memory}: memory peak ${peak} bytes for a limit of ${limit}, overshoot ${peak - limit} bytes (${(((peak - limit) / limit) * 100).toFixed(1)} %)`);
    expect(done.success && done.peakMemoryUsage).toBe(peak);
    if (limits().memory === 'sampled') {
      // Seen only once a sample catches it: past the limit, by however much it grew in between.
      expect(peak).toBeGreaterThan(limit);
    } else {
      // The kernel's count never passes the limit, and the kill came at it.
      expect(peak).toBeGreaterThan(0.9 * limit);
      expect(peak).toBeLessThanOrEqual(limit);
      expect(record.error?.message).toMatch(/the kernel ended it/);
    }
    expect(record.error?.message).toContain(`peak ${peak} bytes`);
    expect(survivors(marker)).toEqual([]);
  });

  it('a Node heap that overflows a 64 MB limit: failed, MEMORY_LIMIT, a clean error message', async () => {
    const { marker, done, record } = await runToEnd(sidex, growsHeap, { memoryLimitMb: 64 });
    expect(ending(done)).toEqual(['failed', 'MEMORY_LIMIT', 'memory_limit']);
    expect(record.error?.message).toMatch(/memory limit of 67108864 bytes|JavaScript heap/);
    expect(record.error?.message).not.toMatch(CRASH_DUMP);
    expect(record.error?.stack).toBeUndefined();
    expect(survivors(marker)).toEqual([]);
  });

  it('a fork bomb under a pids limit of 64: failed, PIDS_LIMIT, nothing left, the server unharmed', async () => {
    if (limits().pids === 'none') {
      // Without a pids controller nothing bounds a fork bomb: it is not run here.
      expect(limits().pids).toBe('none');
      return;
    }
    const { marker, done, record } = await runToEnd(sidex, `require('node:child_process').spawn('sh', ['-c', 'bomb() { bomb | bomb & }; bomb'], { stdio: 'ignore' }); ${forever}`, { pidsLimit: 64 });
    expect(ending(done)).toEqual(['failed', 'PIDS_LIMIT', 'pids_limit']);
    expect(record.pidsLimit).toBe(64);
    expect(record.error?.message).toMatch(/limit of 64 processes and threads/);
    expect(survivors(marker)).toEqual([]);
    // The server (this process) still forks, and its next execution runs as ever.
    expect(spawnSync('true').status).toBe(0);
    const after = await runToEnd(sidex, 'return 7');
    expect(after.done.success && [after.done.status, after.done.result]).toEqual(['completed', 7]);
  });

  it('the default pids limit is 1024', async () => {
    const { record } = await runToEnd(sidex, 'return 1');
    expect(record.pidsLimit).toBe(1024);
  });

  it('1 GB of output from a grandchild under a 10 MB limit: failed, OUTPUT_LIMIT, the log and the count within max(10 %, 4 MB)', async () => {
    const limit = 10 * MB;
    const { id, marker, done, record } = await runToEnd(
      sidex,
      `require('node:child_process').spawn('head', ['-c', '1000000000', '/dev/zero'], { stdio: ['ignore', 'inherit', 'inherit'] }); ${forever}`,
      { outputLimitMb: 10 },
    );
    expect(ending(done)).toEqual(['failed', 'OUTPUT_LIMIT', 'output_limit']);
    const onDisk = fs.statSync(sidex.engine.logFiles(id).stdout).size;
    console.log(`${isolation}/${limits().output}: 1 GB flood under ${limit}: ${onDisk} bytes on disk, ${record.stdout.bytes} counted, overshoot ${onDisk - limit} bytes`);
    expect(record.stdout.bytes).toBe(onDisk);
    expect(onDisk).toBeGreaterThan(limit);
    if (limits().output === 'rlimit') expect(onDisk).toBe(limit + 1);
    else expect(onDisk).toBeLessThanOrEqual(limit + slack(limit));
    expect(survivors(marker)).toEqual([]);
  });

  it('code that returns right after its output passed the limit still ends OUTPUT_LIMIT', async () => {
    const { id, done } = await runToEnd(
      sidex,
      `try { require('node:fs').writeSync(1, Buffer.alloc(6 * 1024 * 1024, 121)); } catch (err) { return err.code; } return 'written';`,
      { outputLimitMb: 5 },
    );
    expect(ending(done)).toEqual(['failed', 'OUTPUT_LIMIT', 'output_limit']);
    const onDisk = fs.statSync(sidex.engine.logFiles(id).stdout).size;
    if (limits().output === 'rlimit') expect(onDisk).toBe(5 * MB + 1);
    else expect(onDisk).toBe(6 * MB);
  });

  it('stdout and stderr flooded together: each file bounded by the limit, the two within twice it', async () => {
    const limit = 4 * MB;
    const { id, done } = await runToEnd(sidex, `require('node:child_process').spawn('sh', ['-c', 'yes >&2 & yes'], { stdio: 'inherit' }); ${forever}`, { outputLimitMb: 4 });
    expect(ending(done)).toEqual(['failed', 'OUTPUT_LIMIT', 'output_limit']);
    const files = sidex.engine.logFiles(id);
    const sizes = [fs.statSync(files.stdout).size, fs.statSync(files.stderr).size];
    console.log(`${isolation}/${limits().output}: two floods under ${limit}: stdout ${sizes[0]}, stderr ${sizes[1]}, together ${sizes[0]! + sizes[1]!} (${((sizes[0]! + sizes[1]!) / limit).toFixed(2)}x)`);
    if (limits().output === 'rlimit') {
      for (const size of sizes) expect(size).toBeLessThanOrEqual(limit + 1);
      expect(sizes[0]! + sizes[1]!).toBeLessThanOrEqual(2 * (limit + 1));
    }
    expect(sizes[0]! + sizes[1]!).toBeGreaterThan(limit);
  });

  it('a file the code writes in its scratch directory is bounded by the output limit too', async () => {
    if (limits().output !== 'rlimit') return expect(limits().output).toBe('sampled');
    const { done } = await runToEnd(
      sidex,
      `const fs = require('node:fs');
       try { fs.writeFileSync('big.bin', Buffer.alloc(3 * 1024 * 1024)); return 'written'; }
       catch (err) { return [err.code, fs.statSync('big.bin').size]; }`,
      { outputLimitMb: 1 },
    );
    expect(done.success && [done.status, done.result]).toEqual(['completed', ['EFBIG', MB + 1]]);
  });

  it('a CPU quota of 0.25 core: a busy loop gets well under one core-second in a second', async () => {
    const { done, record } = await runToEnd(
      sidex,
      'const t = process.cpuUsage(); const end = Date.now() + 1000; while (Date.now() < end) {} const u = process.cpuUsage(t); return (u.user + u.system) / 1000;',
      { cpuLimit: 0.25 },
    );
    expect(done.success && done.status).toBe('completed');
    const cpuMs = done.success ? (done.result as number) : NaN;
    console.log(`${isolation}/${limits().cpu}: busy loop of 1 s wall under 0.25 core: ${cpuMs.toFixed(0)} ms of CPU`);
    expect(record.cpuLimit).toBe(0.25);
    if (limits().cpu === 'none') expect(cpuMs).toBeGreaterThan(0);
    else expect(cpuMs).toBeLessThan(600);
  });
});

describe('limits at start', () => {
  const sidex = makeSidex({ engine: { poolSize: 1 } });
  const api = sidex.sideExecution;

  it.each([
    [{ pidsLimit: 0 }, 'options.pidsLimit'],
    [{ pidsLimit: 1.5 }, 'options.pidsLimit'],
    [{ pidsLimit: 'many' }, 'options.pidsLimit'],
    [{ pidsLimit: 1e9 }, 'options.pidsLimit'],
    [{ cpuLimit: 0 }, 'options.cpuLimit'],
    [{ cpuLimit: -0.5 }, 'options.cpuLimit'],
    [{ cpuLimit: 'half' }, 'options.cpuLimit'],
    [{ memoryLimitMb: -64 }, 'options.memoryLimitMb'],
    // Below what a runtime holds: it failed the start, and left a record.
    [{ memoryLimitMb: 1 }, 'options.memoryLimitMb: must be at least 32 MB'],
    // Rounded to 0 bytes: the engine refused it, naming its own outputLimitBytes.
    [{ outputLimitMb: 1e-12 }, 'options.outputLimitMb: must be one byte at least'],
    [{ outputLimitMb: 0 }, 'options.outputLimitMb'],
    [{ pidLimit: 64 }, 'pidLimit'],
  ])('a bad or unknown limit %j is refused, naming %s, and nothing starts', async (options, field) => {
    const before = Date.now();
    const reply = await api.startWithCode('return 1', {}, undefined, options as Record<string, number>);
    expect(reply.success ? 'started' : [reply.code, reply.error]).toEqual(['INVALID_ARGUMENT', expect.stringContaining(field)]);
    expect((await sidex.engine.list({ since: before })).items).toEqual([]);
  });

  it('the engine refuses bad limit values itself, naming the field', async () => {
    const base = { prefix: 'side', kind: 'inline', name: 'bad', code: 'return 1' } as const;
    await expect(sidex.engine.start({ ...base, pidsLimit: 3 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('pidsLimit') });
    await expect(sidex.engine.start({ ...base, cpuLimit: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('cpuLimit') });
    await expect(sidex.engine.start({ ...base, memoryLimitBytes: 1.5 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('memoryLimitBytes') });
  });

  it('a memory limit below what the idle runtime holds, given to the engine itself: failed, MEMORY_LIMIT (v1 refuses it at the start)', async () => {
    const started = await sidex.engine.start({ prefix: 'side', kind: 'inline', name: 'small', code: 'return 1', memoryLimitBytes: 1024 * 1024 });
    if (sidex.engine.limits.memory === 'cgroup1') {
      expect([started.status, started.error]).toEqual(['failed', expect.objectContaining({ code: 'MEMORY_LIMIT', message: expect.stringMatching(/below what the runtime holds/) })]);
      return;
    }
    // v2 (the OOM killer, at the write) and sampling (the first sample) end it once it runs.
    const done = await api.wait(started.id);
    expect(done.success && [done.status, done.failure?.code]).toEqual(['failed', 'MEMORY_LIMIT']);
  });
});

describe('without kernel limits (kernelLimits: false, what machines without controllers get)', () => {
  const sidex = makeSidex({ engine: { isolation: 'process', poolSize: 1, kernelLimits: false } });

  it('says so: memory sampled, processes and CPU unlimited, output checked by reading', () => {
    expect(sidex.engine.limits).toEqual({ memory: 'sampled', pids: 'none', cpu: 'none', output: 'sampled' });
  });

  it('a grandchild over the memory limit is stopped once a sample sees it: failed, MEMORY_LIMIT, peak over the limit', async () => {
    const { marker, done, record } = await runToEnd(
      sidex,
      `require('node:child_process').spawnSync('perl', ['-e', '$x = "a" x (256 * 1024 * 1024); sleep 600'], { stdio: 'inherit' }); ${forever}`,
      { memoryLimitMb: 64 },
    );
    expect(ending(done)).toEqual(['failed', 'MEMORY_LIMIT', 'memory_limit']);
    console.log(`sampled: memory peak ${record.memory.peak} bytes for a limit of ${64 * MB}, overshoot ${record.memory.peak - 64 * MB} bytes`);
    expect(record.memory.peak).toBeGreaterThan(64 * MB);
    expect(survivors(marker)).toEqual([]);
  });

  it('output floods past the limit before the check stops them: failed, OUTPUT_LIMIT, the overshoot printed', async () => {
    const { id, done } = await runToEnd(sidex, `require('node:child_process').spawn('yes', { stdio: 'inherit' }); ${forever}`, { outputLimitMb: 10 });
    expect(ending(done)).toEqual(['failed', 'OUTPUT_LIMIT', 'output_limit']);
    const onDisk = fs.statSync(sidex.engine.logFiles(id).stdout).size;
    console.log(`sampled: 1 GB flood under ${10 * MB}: ${onDisk} bytes on disk, overshoot ${onDisk - 10 * MB}`);
    expect(onDisk).toBeGreaterThan(10 * MB);
  });
});

describe('V8 at its heap limit before anything else (no kernel memory limit, sampling too slow to see it)', () => {
  const sidex = makeSidex({ engine: { isolation: 'process', poolSize: 1, kernelLimits: false, sampleIntervalMs: 600_000 } });

  it('failed, MEMORY_LIMIT, memory_limit: the crash dump stays in the stderr log, never in the error message', async () => {
    const { id, done, record } = await runToEnd(sidex, growsHeap, { memoryLimitMb: 64 });
    expect(ending(done)).toEqual(['failed', 'MEMORY_LIMIT', 'memory_limit']);
    expect(record.signal).toBe('SIGABRT');
    expect(record.error?.message).toMatch(/ran out of JavaScript heap \(memory limit 67108864 bytes/);
    expect(record.error?.message).not.toMatch(CRASH_DUMP);
    expect(fs.readFileSync(sidex.engine.logFiles(id).stderr, 'utf8')).toMatch(/FATAL ERROR: .*JavaScript heap out of memory/);
  });
});

describe("cleanup of the limits' cgroups", () => {
  it("closing removes the run's limit cgroups and the data directory's, in every hierarchy", async () => {
    const root = tempDir();
    const dataDir = path.join(root, 'data');
    const sidex = new Sidex({ dataDir, projectDir: root, engine: { poolSize: 1 } });
    const started = await sidex.sideExecution.startWithCode('return 1', {}, undefined, { cpuLimit: 0.5 });
    if (!started.success) throw new Error(started.error);
    await sidex.sideExecution.wait(started.sideExecutionId);
    const kinds = sidex.engine.limits;
    const dirs = (['memory', 'pids', 'cpu'] as const)
      .map((controller) => {
        const kind = kinds[controller];
        if (kind !== 'cgroup1' && kind !== 'cgroup2') return undefined;
        const own = ownCgroupDir(kind === 'cgroup2' ? { version: kind } : { version: kind, controller });
        return own && path.join(own, 'sidex', dataKeyOf(dataDir));
      })
      .filter((dir): dir is string => dir !== undefined);
    for (const dir of dirs) expect(fs.existsSync(dir)).toBe(true);
    await sidex.close();
    for (const dir of dirs) expect(fs.existsSync(dir)).toBe(false);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
