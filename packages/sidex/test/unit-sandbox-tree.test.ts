// SandboxTree's hold on a sandboxed runtime, against a real three-level tree
// shaped like bwrap's: a root, its one child (the namespace's init), and
// that one's child (the runtime).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxTree } from '../dist/engine/sandbox/sandbox-tree.js';
import { createTreeTracker } from '../dist/engine/tree/tree-tracker.js';
import { eventually, pidAlive } from './helpers/sidex.js';

const children = (pid: number): number[] =>
  fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(' ').filter(Boolean).map(Number);
const openFds = (): number => fs.readdirSync('/proc/self/fd').length;

let root: ChildProcess | undefined;

afterEach(async () => {
  if (root?.pid && root.exitCode === null && root.signalCode === null) {
    process.kill(-root.pid, 'SIGKILL');
    await once(root, 'exit');
  }
});

/** Answers the tree once its third level runs, and the pid there. */
async function bwrapShaped(): Promise<{ tree: SandboxTree; runtime: number }> {
  root = spawn('sh', ['-c', `sh -c 'sleep 30; :'; :`], { stdio: 'ignore', detached: true });
  await once(root, 'spawn');
  const rootPid = root.pid!;
  let runtime: number | undefined;
  expect(await eventually(() => (runtime = children(rootPid).flatMap(children)[0]) !== undefined)).toBe(true);
  const tracker = createTreeTracker({ mode: 'scan', dataKey: 'unit-sandbox-tree', runId: String(process.pid), kernelLimits: false });
  return { tree: new SandboxTree(tracker.adopt(rootPid, 'unit-sandbox-tree-marker')), runtime: runtime! };
}

describe('SandboxTree', () => {
  it('signals the runtime held as it became ready, and nothing once released', async () => {
    const { tree, runtime } = await bwrapShaped();
    tree.ready();
    await tree.release();
    expect(tree.signalRuntime('SIGTERM')).toBeUndefined();
    expect(pidAlive(runtime)).toBe(true);
  });

  it('signals the runtime by its pid while it is there', async () => {
    const { tree, runtime } = await bwrapShaped();
    tree.ready();
    expect(tree.signalRuntime('SIGTERM')).toBe(runtime);
    expect(await eventually(() => !pidAlive(runtime))).toBe(true);
    await tree.release();
  });

  it('holds nothing open when ready() comes after release(): a runtime discarded as it warmed', async () => {
    const { tree } = await bwrapShaped();
    const before = openFds();
    await tree.release();
    tree.ready();
    expect(openFds()).toBe(before);
  });
});
