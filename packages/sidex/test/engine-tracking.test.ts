import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { Sidex } from '../dist/index.js';
import { dataKeyOf } from '../dist/engine/tree/marker.js';
import { cgroupDataRoot, createTreeTracker } from '../dist/engine/tree/tree-tracker.js';
import { workloads } from './fixtures/workloads.js';
import { startReady } from './helpers/ready.js';
import { eventually, makeSidex, survivors, tempDir } from './helpers/sidex.js';

function available(mode: 'cgroup2' | 'cgroup1'): boolean {
  try {
    const tracker = createTreeTracker({ mode, dataKey: 'probe', runId: 'probe' });
    tracker.killRun();
    return true;
  } catch {
    return false;
  }
}

// Every backend must catch what escapes the process group. The scan fallback
// is what machines without writable cgroups get, so it is always tested.
const backends = (['cgroup2', 'cgroup1', 'scan'] as const).filter((m) => m === 'scan' || available(m));

describe.each(backends)('process tree tracking: %s', (mode) => {
  const sidex = makeSidex({ engine: { tracking: mode } });

  it('uses the requested backend', () => {
    expect(sidex.engine.tracker.kind).toBe(mode);
  });

  it.each(['setsidGrandchild', 'shellWrapper', 'grandchildHoldsStdout', 'busyLoop'] as const)(
    '%s: stop leaves no process behind',
    async (name) => {
      const id = await startReady(sidex, workloads[name]);
      const record = await sidex.engine.get(id);
      expect(survivors(record?.marker).length).toBeGreaterThan(0);
      const reply = await sidex.sideExecution.stop(id, { graceMs: 200 });
      expect(reply.success && reply.status).toBe('stopped');
      expect(survivors(record?.marker)).toEqual([]);
    },
  );

  it('a zombie in the tree counts as dead: the stop neither waits for it nor forces', async () => {
    // The subshell exits at once; sleep (exec'd over its parent) never reaps it.
    const id = await startReady(sidex, `const { spawn } = require('node:child_process');
      spawn('sh', ['-c', '(exit 0) & exec sleep 600'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 150)); console.log('ready'); await new Promise(() => {});`);
    const began = Date.now();
    const reply = await sidex.sideExecution.stop(id, { graceMs: 3000 });
    expect(reply.success && reply.status).toBe('stopped');
    expect(reply.success && reply.forced).toBe(false);
    expect(Date.now() - began).toBeLessThan(2000);
  });

  it('reports whole-tree memory and CPU while running', async () => {
    const id = await startReady(sidex, `const big = Buffer.alloc(64 * 1024 * 1024, 1); console.log('ready'); for (const end = Date.now() + 800; Date.now() < end;) {} await new Promise((r) => setTimeout(r, 60000));`);
    // Usage is sampled on an interval: poll until a sample has seen the buffer and the busy loop.
    const sampled = async () => {
      const status = await sidex.sideExecution.getStatus(id);
      return status.success && status.memoryUsage > 64 * 1024 * 1024 && status.cpuTime > 100;
    };
    await eventually(sampled);
    const status = await sidex.sideExecution.getStatus(id);
    expect(status.success).toBe(true);
    if (!status.success) return;
    expect(status.memoryUsage).toBeGreaterThan(64 * 1024 * 1024);
    expect(status.peakMemoryUsage).toBeGreaterThanOrEqual(status.memoryUsage);
    expect(status.cpuTime).toBeGreaterThan(100);
    await sidex.sideExecution.stop(id);
  });
});

describe.each(backends.filter((m) => m !== 'scan'))('cgroups left behind: %s', (mode) => {
  it("closing removes the run's cgroup and the data directory's", async () => {
    const root = tempDir();
    const sidex = new Sidex({ dataDir: path.join(root, 'data'), projectDir: root, engine: { tracking: mode, poolSize: 1 } });
    const started = await sidex.sideExecution.startWithCode('return 1');
    if (!started.success) throw new Error(started.error);
    await sidex.sideExecution.wait(started.sideExecutionId);
    const dir = cgroupDataRoot(mode as 'cgroup2' | 'cgroup1', dataKeyOf(path.join(root, 'data')))!;
    expect(fs.existsSync(dir)).toBe(true);
    await sidex.close();
    expect(fs.existsSync(dir)).toBe(false);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
