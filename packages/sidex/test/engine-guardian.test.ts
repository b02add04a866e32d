// The guardian kills the run's trees when the engine dies; the engine in turn
// replaces a guardian that dies, so the safety net outlives a stray kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine, MemoryStore, startGuardian, type GuardianRestart } from '../dist/index.js';
import { workloads } from './fixtures/workloads.js';
import { guardianOf } from './fixtures/host-process.js';
import { cgroupsOf } from './helpers/cgroups.js';
import { spawnServer, stopAndRemove } from './helpers/server.js';
import { eventually, killedAfterAll, pidAlive, survivors, tempDir, treesGone } from './helpers/sidex.js';

const host = fileURLToPath(new URL('./fixtures/engine-host.mjs', import.meta.url));
const pids = killedAfterAll();

/** The engine's next guardianRestarted event, or a failure after `timeoutMs`. */
function nextRestart(engine: Engine, timeoutMs = 5000): Promise<GuardianRestart> {
  return once(engine, 'guardianRestarted', { signal: AbortSignal.timeout(timeoutMs) }).then(([restart]) => restart as GuardianRestart);
}

describe('a guardian that dies is replaced', () => {
  const engine = new Engine({ dataDir: path.join(tempDir(), 'data'), poolSize: 0, store: new MemoryStore(), guardian: startGuardian });
  afterAll(() => engine.close({ graceMs: 0 }));

  it('SIGKILLed: a new guardian runs at once, and the engine says so', async () => {
    const first = engine.guardianPid!;
    expect(pidAlive(first)).toBe(true);
    const restarted = nextRestart(engine);
    process.kill(first, 'SIGKILL');
    const restart = await restarted;
    pids.push(restart.pid);
    expect(restart).toMatchObject({ previousPid: first, exit: { code: null, signal: 'SIGKILL' }, delayMs: 0 });
    expect(restart.pid).not.toBe(first);
    expect(engine.guardianPid).toBe(restart.pid);
    expect(pidAlive(restart.pid)).toBe(true);
    expect(pidAlive(first)).toBe(false);
  });

  it('replacements that die at once are restarted after a growing wait', async () => {
    const delays: number[] = [];
    for (let i = 0; i < 2; i++) {
      const restarted = nextRestart(engine);
      process.kill(engine.guardianPid!, 'SIGKILL');
      const restart = await restarted;
      pids.push(restart.pid);
      delays.push(restart.delayMs);
      expect(pidAlive(restart.pid)).toBe(true);
    }
    expect(delays).toEqual([500, 1000]);
  });

  it('close lets the guardian go without replacing it', async () => {
    const last = engine.guardianPid!;
    let restarts = 0;
    engine.on('guardianRestarted', () => restarts++);
    await engine.close({ graceMs: 0 });
    // Gone from /proc: reaped by the engine, so its exit has been handled.
    expect(await eventually(() => !fs.existsSync(`/proc/${last}`), 5000)).toBe(true);
    expect(restarts).toBe(0);
    expect(engine.guardianPid).toBeUndefined();
  });
});

describe('the server', () => {
  it('logs the replacement of its guardian', async () => {
    const server = await spawnServer();
    try {
      const first = guardianOf(server.child.pid!);
      expect(first).toBeDefined();
      process.kill(first!, 'SIGKILL');
      const logged = () => server.stderr().split('\n').find((line) => line.includes('the guardian process died'));
      expect(await eventually(() => logged() !== undefined, 5000)).toBe(true);
      const line = JSON.parse(logged()!) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 40, previousPid: first, exit: { signal: 'SIGKILL' } });
      expect(line.pid).toBe(guardianOf(server.child.pid!));
      expect(pidAlive(line.pid as number)).toBe(true);
    } finally {
      await stopAndRemove(server);
    }
  });
});

/** JSON lines of a host process, each awaited with a bound. */
function linesOf(child: ChildProcess) {
  const lines: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(JSON.parse(line) as Record<string, any>);
    waiters.splice(0).forEach((wake) => wake());
  });
  child.once('exit', () => waiters.splice(0).forEach((wake) => wake()));
  return async (match: (line: Record<string, any>) => boolean, timeoutMs = 20_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.find(match);
      if (found) return found;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error('host exited early');
      if (Date.now() > end) throw new Error(`no matching line in ${timeoutMs} ms; got ${JSON.stringify(lines)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  };
}

describe.each(['auto', 'scan'] as const)('the replacement guards the run (tracking %s)', (tracking) => {
  it('guardian SIGKILLed, then the engine: its busy loop and setsid grandchild are gone within 2 s', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const child = spawn(process.execPath, [host, dataDir, tracking], {
      env: { ...process.env, WORKLOADS: JSON.stringify([workloads.busyLoop, workloads.setsidGrandchild]) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    pids.push(child.pid!);
    const next = linesOf(child);
    const { pid, markers, guardian } = await next((line) => 'markers' in line);
    expect(guardian).toBe(guardianOf(pid));
    const before = (markers as string[]).flatMap((m) => survivors(m));
    expect(before.length).toBeGreaterThanOrEqual(4); // two runtimes, sh, setsid sh, sleep

    process.kill(guardian, 'SIGKILL');
    const { restarted } = await next((line) => 'restarted' in line);
    pids.push(restarted.pid);
    expect(restarted.previousPid).toBe(guardian);
    expect(pidAlive(restarted.pid)).toBe(true);
    expect(guardianOf(pid)).toBe(restarted.pid);

    process.kill(pid, 'SIGKILL');
    const allGone = await eventually(() => treesGone(markers as string[], before), 2000, 25);
    expect((markers as string[]).flatMap((m) => survivors(m))).toEqual([]);
    expect(allGone).toBe(true);
    expect(before.filter(pidAlive)).toEqual([]);
    // Then it removes the run's cgroups (tracking and limits, every hierarchy) and exits.
    expect(await eventually(() => !pidAlive(restarted.pid), 6000, 50)).toBe(true);
    expect(cgroupsOf(dataDir)).toEqual([]);
  });
});
