import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord, StopOutcome } from '../dist/index.js';
import { cleansUpChild, workloads, leavesProcesses } from './fixtures/workloads.js';
import { itNeeds } from './helpers/machine-needs.js';
import { readyOnceStarted, startReady } from './helpers/ready.js';
import { eventually, makeSidex, sleep, survivors, tempDir } from './helpers/sidex.js';
import { writeBlock } from './helpers/write-block.js';

const projectDir = tempDir('sidex-stop-project-');
afterAll(() => fs.rmSync(projectDir, { recursive: true, force: true }));
const sidex = makeSidex({ projectDir, engine: { maxConcurrent: 16, defaultGraceMs: 5000 } });
const api = sidex.sideExecution;
const inProcessIsolation = makeSidex({ engine: { isolation: 'process', poolSize: 1 } });

const BLOCK_SPAWNING_AS_IT_LOADS = `import { spawn } from 'node:child_process';
spawn('sh', ['-c', ${JSON.stringify(cleansUpChild)}], { stdio: ['pipe', 'inherit', 'inherit'] });
export default async function (params, ctx) {
  ctx.onStop(() => 'parent stopped');
  await new Promise((resolve) => setTimeout(resolve, 150));
  console.log('ready');
  await new Promise((resolve) => setTimeout(resolve, 600000));
}
`;

// Ran by being imported; a callback of its own awaits when the stop comes (it says ready as it begins
// to), and its cleanup awaits too.
const BLOCK_SCRIPT = `setTimeout(async () => {
  try {
    const waiting = new Promise((resolve) => setTimeout(resolve, 600000));
    console.log('ready');
    await waiting;
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 200));
    console.log('script cleaned up');
  }
}, 0);
`;
// Main's await unwinds at once; each task's cleanup awaits 200 ms after its own await is unwound.
const TASKS_CLEANING_UP = `const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function task(n) {
  try {
    await sleep(600000);
  } finally {
    await sleep(200);
    console.log('task ' + n + ' cleaned');
  }
}
try {
  const tasks = Promise.race([task(1), task(2)]);
  console.log('ready');
  await tasks;
} finally {
  console.log('main cleanup');
}`;

// Its child writes to a pipe the runtime reads, and says so as it closes.
const CHILD_THROUGH_PIPES = `const { spawn } = require('node:child_process');
const child = spawn('sh', ['-c', ${JSON.stringify(cleansUpChild)}], { stdio: ['pipe', 'pipe', 'inherit'] });
child.stdout.on('data', (data) => process.stdout.write('[child] ' + data));
child.on('close', () => console.log('child closed'));
ctx.onStop(() => 'parent stopped');
await new Promise((resolve) => setTimeout(resolve, 150));
console.log('ready');
await new Promise((resolve) => setTimeout(resolve, 600000));`;

const BLOCK_OWN_PROMISE = `module.exports = (params, ctx) => new Promise((resolve) => {
  ctx.onStop(() => 'handler ran');
  console.log('ready');
  setTimeout(() => resolve('done'), 600000);
});
`;

// Its top level waits 10 s (the start answers after 25 ms), and goes on if that wait is unwound.
const BLOCK_SLOW_TO_LOAD = `console.log('ready');
try {
  await new Promise((resolve) => setTimeout(resolve, 10000));
} catch {}
console.log('loaded');
export default async function () {
  console.log('function called');
  await new Promise((resolve) => setTimeout(resolve, 600000));
}
`;
const BLOCK_SCRIPT_ON_SIGTERM = `const alive = setInterval(() => {}, 1000);
process.on('SIGTERM', async () => {
  await new Promise((resolve) => setTimeout(resolve, 200));
  console.log('script cleaned up');
  process.exit(0);
});
console.log('ready');
`;

async function markerOf(id: string): Promise<string | undefined> {
  return (await sidex.engine.get(id))?.marker;
}

/**
 * A stop with a 30 s grace, then 50 ms later a second stop with `second`:
 * both replies, once the second has answered well within the first's grace.
 */
async function stopAgain(workload: string, second: { graceMs?: number; force?: boolean }) {
  const id = await startReady(sidex, workload);
  const marker = await markerOf(id);
  const began = Date.now();
  const gentle = api.stop(id, { graceMs: 30_000 });
  await sleep(50);
  const later = await api.stop(id, second);
  expect(Date.now() - began).toBeLessThan(5000);
  return { gentle: await gentle, later, marker };
}

describe('stop protocol against hostile workloads', () => {
  it('cooperative code: onStop runs, its return value is the partial result, no SIGKILL', async () => {
    const id = await startReady(sidex, workloads.cooperative);
    const marker = await markerOf(id);
    const reply = await api.stop(id);
    expect(reply.success).toBe(true);
    if (!reply.success) return;
    expect(reply.status).toBe('stopped');
    expect(reply.data.status).toBe('stopped');
    expect(reply.result).toEqual({ partial: 'cleaned up' });
    expect(reply.forced).toBe(false);
    expect(reply.output).toContain('ready');
    expect(typeof reply.stoppedAt).toBe('number');
    expect(survivors(marker)).toEqual([]);
  });

  it("code that swallows the stop and runs on is killed at the grace's end, and keeps what its onStop handler returned", async () => {
    const runsOn = `ctx.onStop(() => ({ partial: 'from the handler' })); console.log('ready'); for (;;) { try { await new Promise((r) => setTimeout(r, 50)); } catch {} }`;
    const id = await startReady(sidex, runsOn);
    const marker = await markerOf(id);
    const { record } = await sidex.engine.stop(id, { graceMs: 500 });
    expect(record).toMatchObject({ status: 'stopped', forced: true, result: { partial: 'from the handler' } });
    expect(survivors(marker)).toEqual([]);
  });

  it("a stopped runtime ends at once, yet the code's 'exit' listeners run and the record says exit code 0", async () => {
    const id = await startReady(sidex, `process.on('exit', (code) => console.log('exit listener ' + code)); ${workloads.cooperative}`);
    const marker = await markerOf(id);
    const { record } = await sidex.engine.stop(id);
    expect(record).toMatchObject({ status: 'stopped', forced: false, exitCode: 0, signal: null, result: { partial: 'cleaned up' } });
    expect(record.stdout.text).toContain('exit listener 0');
    expect(survivors(marker)).toEqual([]);
  });

  it("an 'exit' listener that calls process.exit itself still ends the stopped runtime at once: exit code 0, not its own", async () => {
    const id = await startReady(sidex, `process.on('exit', () => { console.log('exiting with 3'); process.exit(3); }); ${workloads.cooperative}`);
    const { record } = await sidex.engine.stop(id);
    expect(record).toMatchObject({ status: 'stopped', forced: false, exitCode: 0, signal: null, result: { partial: 'cleaned up' } });
    expect(record.stdout.text).toContain('exiting with 3');
  });

  // The child starts no process of its own: nothing moves the namespace's last pid after it.
  it.each([
    ['inline code', () => startReady(sidex, workloads.childCleansUp)],
    [
      "a block's module as it loads",
      () => {
        const dir = writeBlock(projectDir, 'spawns-as-it-loads', BLOCK_SPAWNING_AS_IT_LOADS);
        return readyOnceStarted(sidex, () => api.startWithActionBlock(dir, {}));
      },
    ],
  ])("a child started by %s gets the grace period to clean up, and what it prints then is kept", async (_by, start) => {
    const id = await start();
    const marker = await markerOf(id);
    const { record } = await sidex.engine.stop(id, { graceMs: 10_000 });
    expect(record).toMatchObject({ status: 'stopped', forced: false, result: 'parent stopped' });
    expect(record.stdout.text).toContain('child cleaned up');
    expect(survivors(marker)).toEqual([]);
  });

  // A script (a block that exports no function, as Codebolt-built programs are) has no main function to wait for.
  it.each([
    ['is unwound, its cleanup awaits, and it ends once that is done', BLOCK_SCRIPT],
    ['that listens for SIGTERM itself cleans up in its own listener and exits', BLOCK_SCRIPT_ON_SIGTERM],
  ])('a script %s, not at the end of its grace', async (_how, source) => {
    const dir = writeBlock(projectDir, 'script', source);
    const id = await readyOnceStarted(sidex, () => api.startWithActionBlock(dir, {}));
    const marker = await markerOf(id);
    const { record } = await sidex.engine.stop(id, { graceMs: 30_000 });
    expect(record).toMatchObject({ status: 'stopped', forced: false });
    expect(record.stdout.text).toContain('script cleaned up');
    // The stop's own AbortError, unhandled where it unwound a callback, is not reported as the code's.
    expect(record.stderr.text).not.toContain('AbortError');
    expect(survivors(marker)).toEqual([]);
  });

  it('a block suspended in no await of its own (its function returns a promise it made) ends at once, as such inline code does', async () => {
    const dir = writeBlock(projectDir, 'own-promise', BLOCK_OWN_PROMISE);
    const id = await readyOnceStarted(sidex, () => api.startWithActionBlock(dir, {}));
    const { record } = await sidex.engine.stop(id, { graceMs: 30_000 });
    expect(record).toMatchObject({ status: 'stopped', forced: false, result: 'handler ran' });
  });

  it('unwound code: the cleanup of tasks it started but did not await to the end also runs, awaits included', async () => {
    const id = await startReady(sidex, TASKS_CLEANING_UP);
    const { record } = await sidex.engine.stop(id, { graceMs: 30_000 });
    expect(record).toMatchObject({ status: 'stopped', forced: false });
    expect(record.stdout.text).toContain('main cleanup');
    expect(record.stdout.text).toContain('task 1 cleaned');
    expect(record.stdout.text).toContain('task 2 cleaned');
  });

  it("a stop while a block's module still loads: the block's function is never called", async () => {
    const dir = writeBlock(projectDir, 'slow-to-load', BLOCK_SLOW_TO_LOAD);
    const id = await readyOnceStarted(sidex, () => api.startWithActionBlock(dir, {}));
    const { record } = await sidex.engine.stop(id, { graceMs: 30_000 });
    expect(record).toMatchObject({ status: 'stopped', forced: false });
    expect(record.stdout.text).toContain('loaded');
    expect(record.stdout.text).not.toContain('function called');
  });

  it.each([
    ['ignoresSigterm', workloads.ignoresSigterm],
    ['busyLoop', workloads.busyLoop],
    ['setsidGrandchild', workloads.setsidGrandchild],
    ['grandchildHoldsStdout', workloads.grandchildHoldsStdout],
  ])('%s: SIGKILL after the grace period, nothing left', async (_name, code) => {
    const id = await startReady(sidex, code);
    const marker = await markerOf(id);
    expect(survivors(marker).length).toBeGreaterThan(0);
    const began = Date.now();
    const reply = await api.stop(id, { graceMs: 300 });
    const took = Date.now() - began;
    expect(reply.success).toBe(true);
    if (!reply.success) return;
    expect(reply.status).toBe('stopped');
    expect(reply.forced).toBe(true);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(reply.output).toContain('ready');
    expect(survivors(marker)).toEqual([]);
  });

  it('shell wrapper with nested children: SIGTERM reaches the whole tree', async () => {
    const id = await startReady(sidex, workloads.shellWrapper);
    const marker = await markerOf(id);
    expect(survivors(marker).length).toBeGreaterThanOrEqual(4); // runtime, sh, sleeps
    const reply = await api.stop(id, { graceMs: 3000 });
    expect(reply.success && reply.status).toBe('stopped');
    expect(survivors(marker)).toEqual([]);
  });

  it('a grandchild holding stdout does not hang a natural end: it completes and the leftover is killed', async () => {
    const started = await api.startWithCode(leavesProcesses.grandchildHoldsStdout);
    expect(started.success).toBe(true);
    if (!started.success) return;
    const marker = await markerOf(started.sideExecutionId);
    const done = await api.wait(started.sideExecutionId);
    expect(done.success && done.status).toBe('completed');
    expect(done.success && done.result).toBe('returned');
    expect(survivors(marker)).toEqual([]);
  });

  it('two concurrent stops share one outcome', async () => {
    const id = await startReady(sidex, workloads.cooperative);
    const [a, b] = await Promise.all([api.stop(id), api.stop(id)]);
    expect(a).toEqual(b);
    expect(a.success && a.status).toBe('stopped');
    expect(survivors(await markerOf(id))).toEqual([]);
  });

  it('a second stop with a shorter grace period shortens the first one\'s', async () => {
    const { gentle, later: shorter, marker } = await stopAgain(workloads.ignoresSigterm, { graceMs: 300 });
    expect(shorter.success && [shorter.status, shorter.forced]).toEqual(['stopped', true]);
    expect(gentle).toEqual(shorter);
    expect(survivors(marker)).toEqual([]);
  });

  it('a second stop may force at once', async () => {
    const { gentle, later: forced, marker } = await stopAgain(workloads.busyLoop, { force: true });
    expect(gentle.success).toBe(true);
    expect(forced.success && forced.forced).toBe(true);
    expect(survivors(marker)).toEqual([]);
  });

  it('stop of a stopped execution answers already_stopped; of a completed one, success false', async () => {
    const id = await startReady(sidex, workloads.cooperative);
    await api.stop(id);
    const again = await api.stop(id);
    expect(survivors(await markerOf(id))).toEqual([]);
    expect(again.success).toBe(true);
    expect(again.success && again.status).toBe('already_stopped');
    expect(again.success && again.data.status).toBe('already_stopped');

    const done = await api.startWithCode('return 1');
    if (!done.success) throw new Error(done.error);
    await api.wait(done.sideExecutionId);
    const late = await api.stop(done.sideExecutionId);
    expect(late.success).toBe(false);
    if (late.success) return;
    expect(late.code).toBe('ALREADY_FINISHED');
    expect(late.data?.status).toBe('completed');
    expect(late.error).toMatch(/already finished/);
  });

  it('stop of an unknown id: EXECUTION_NOT_FOUND', async () => {
    const reply = await api.stop('side_0_deadbeef');
    expect(reply.success).toBe(false);
    expect(!reply.success && reply.code).toBe('EXECUTION_NOT_FOUND');
  });

  it('timeout ends in status timeout via the same protocol', async () => {
    const started = await api.startWithCode(workloads.busyLoop, {}, 300, { graceMs: 200 });
    if (!started.success) throw new Error(started.error);
    const marker = await markerOf(started.sideExecutionId);
    const done = await api.wait(started.sideExecutionId);
    expect(done.success && done.status).toBe('timeout');
    expect(done.success && done.stopReason).toBe('timeout');
    expect(done.success && done.failure?.code).toBe('TIMEOUT');
    expect(survivors(marker)).toEqual([]);
  });

  it('a timeout racing a stop: one reason wins, both answers agree, nothing left', async () => {
    for (const delay of [0, 80, 100, 120]) {
      const started = await api.startWithCode(workloads.cooperative, {}, 100);
      if (!started.success) throw new Error(started.error);
      const id = started.sideExecutionId;
      const marker = await markerOf(id);
      await sleep(delay);
      const [stop, done] = await Promise.all([api.stop(id), api.wait(id)]);
      const final = done.success ? done.status : 'missing';
      expect(['stopped', 'timeout']).toContain(final);
      if (stop.success) expect(stop.status).toBe(final);
      // The timeout had already ended it before the stop arrived.
      else expect([stop.code, stop.data?.status, final]).toEqual(['ALREADY_FINISHED', 'timeout', 'timeout']);
      expect(survivors(marker)).toEqual([]);
    }
  });
});

describe('stop before running', () => {
  const small = makeSidex({ engine: { maxConcurrent: 1, poolSize: 0 } });

  it('stop while queued: stopped at once, nothing ran', async () => {
    const blocker = await small.sideExecution.startWithCode(workloads.cooperative);
    if (!blocker.success) throw new Error(blocker.error);
    const queued = await small.sideExecution.startWithCode('console.log("never"); return 1');
    expect(queued.success && queued.status).toBe('queued');
    if (!queued.success) return;
    const reply = await small.sideExecution.stop(queued.sideExecutionId);
    expect(reply.success && reply.status).toBe('stopped');
    const status = await small.sideExecution.getStatus(queued.sideExecutionId);
    expect(status.success && status.output).toBe('');
    expect(status.success && status.startTime).toBeDefined();
    await small.sideExecution.stop(blocker.sideExecutionId);
  });

  it('50 concurrent stops of a queued execution share one outcome; a later stop finds it ended', async () => {
    const blocker = await small.sideExecution.startWithCode(workloads.cooperative);
    if (!blocker.success) throw new Error(blocker.error);
    const queued = await small.sideExecution.startWithCode('return 1');
    if (!queued.success) throw new Error(queued.error);
    expect(queued.status).toBe('queued');
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => small.engine.stop(queued.sideExecutionId)));
    expect(outcomes.filter((o) => o.alreadyEnded || o.record !== outcomes[0]!.record)).toEqual([]);
    expect(outcomes[0]!.record.status).toBe('stopped');
    expect((await small.engine.stop(queued.sideExecutionId)).alreadyEnded).toBe(true);
    await small.sideExecution.stop(blocker.sideExecutionId);
  });

  it('50 concurrent stops of a starting execution share one outcome', async () => {
    let stops: Promise<StopOutcome[]> | undefined;
    const onStatus = (r: ExecutionRecord) => {
      if (r.status === 'starting' && !stops) stops = Promise.all(Array.from({ length: 50 }, () => small.engine.stop(r.id)));
    };
    small.engine.on('status', onStatus);
    const started = await small.sideExecution.startWithCode(workloads.cooperative);
    small.engine.off('status', onStatus);
    expect(started.success && started.status).toBe('stopped');
    const outcomes = await stops!;
    expect(outcomes.filter((o) => o.alreadyEnded || o.record !== outcomes[0]!.record)).toEqual([]);
    expect(outcomes[0]!.record.status).toBe('stopped');
    expect(survivors(outcomes[0]!.record.marker)).toEqual([]);
  });

  it('stop while starting: the half-started tree is killed', async () => {
    let id: string | undefined;
    const off = small.sideExecution.on('status', (r) => {
      if (r.status === 'starting' && !id) id = r.id;
    });
    const start = small.sideExecution.startWithCode(workloads.cooperative);
    expect(await eventually(() => id !== undefined, 5000, 1)).toBe(true);
    off();
    const reply = await small.sideExecution.stop(id!);
    expect(reply.success && reply.status).toBe('stopped');
    const started = await start;
    expect(started.success && started.status).toBe('stopped');
    const record = await small.engine.get(id!);
    expect(survivors(record?.marker)).toEqual([]);
  });
});

describe.each([
  ['the default isolation', sidex],
  ['process isolation', inProcessIsolation],
])("a child whose output goes through the runtime's pipes, in %s", (_mode, engine) => {
  it('cleans up on SIGTERM, and its last output and close reach the record', async () => {
    const id = await startReady(engine, CHILD_THROUGH_PIPES);
    const { record } = await engine.engine.stop(id, { graceMs: 30_000 });
    expect(record).toMatchObject({ status: 'stopped', forced: false, result: 'parent stopped' });
    expect(record.stdout.text).toContain('[child] child cleaned up');
    expect(record.stdout.text).toContain('child closed');
  });
});

describe("the stop's SIGTERM to a sandboxed runtime, sent by the pid it had", () => {
  const sandboxed = sidex.engine.isolation.mode === 'sandbox';
  // Root picks the next pid (ns_last_pid), so that a new process takes the runtime's own.
  itNeeds('sandbox isolation and root', sandboxed && process.getuid?.() === 0)(
    "never reaches a process that took the runtime's pid after the runtime ended, before the engine heard of it",
    async () => {
      for (let attempt = 0; attempt < 20; attempt++) {
        const id = await startReady(sidex, workloads.cooperative);
        const runtimePid = sidex.engine.processes(id)!.find((p) => p.command.includes('runtime/main'))!.pid;
        // The runtime dies and its pid is freed at once (bwrap's init reaps it); this thread blocks
        // meanwhile, so the engine, in this process, cannot hear of it before the stop below.
        process.kill(runtimePid, 'SIGKILL');
        const deadline = Date.now() + 2000;
        while (fs.existsSync(`/proc/${runtimePid}`) && Date.now() < deadline);
        fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(runtimePid - 1));
        const decoy = spawn('sleep', ['30'], { stdio: 'ignore' });
        const ending = api.stop(id); // its SIGTERM goes out within this call
        if (decoy.pid !== runtimePid) {
          decoy.kill('SIGKILL'); // another process took the pid first: again
          await ending;
          continue;
        }
        await ending;
        await sleep(100);
        const alive = decoy.exitCode === null && decoy.signalCode === null;
        decoy.kill('SIGKILL');
        expect(alive).toBe(true);
        return;
      }
      throw new Error("no decoy got the runtime's pid in 20 attempts");
    },
  );
});
