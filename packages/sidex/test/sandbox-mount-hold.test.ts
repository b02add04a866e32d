// A sandboxed engine holds each sandbox's mount namespace open until the end
// it ran has been answered (engine/sandbox/sandbox-tree.ts), so that the
// namespace's init need not unmount it on the way to the answer. None may
// outlive its execution, nor the engine's close().
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sidex } from '../dist/index.js';
import { installed, itNeeds } from './helpers/machine-needs.js';
import { eventually, tempDir } from './helpers/sidex.js';

/** This test process's descriptors of mount namespaces (its file runs alone in it). */
function heldMountNamespaces(): string[] {
  const links = fs.readdirSync('/proc/self/fd').map((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return ''; // the directory's own descriptor, closed by now
    }
  });
  return links.filter((link) => link.startsWith('mnt:'));
}

describe('the mount namespaces a sandboxed engine holds', () => {
  itNeeds('bwrap', installed('bwrap'))('are let go as their executions end, and all of them once the engine has closed', async () => {
    const root = tempDir();
    const sidex = new Sidex({ dataDir: path.join(root, 'data'), projectDir: root, engine: { isolation: 'sandbox', poolSize: 1 } });
    const api = sidex.sideExecution;
    try {
      await sidex.engine.warm();
      expect(heldMountNamespaces()).toHaveLength(1); // the pooled runtime's

      const completed = await api.startWithCode('return 1');
      if (!completed.success) throw new Error(completed.error);
      const done = await api.wait(completed.sideExecutionId);
      expect(done.success && done.status).toBe('completed');
      const stopped = await api.startWithCode("ctx.onStop(() => 'partial'); await new Promise(() => {});");
      if (!stopped.success) throw new Error(stopped.error);
      const stop = await api.stop(stopped.sideExecutionId);
      expect(stop.success && stop.data.status).toBe('stopped');

      // Two ended, one refilled the pool: only the pooled runtime's is held.
      await sidex.engine.warm();
      expect(await eventually(() => heldMountNamespaces().length === 1)).toBe(true);
    } finally {
      await sidex.close();
    }
    expect(await eventually(() => heldMountNamespaces().length === 0)).toBe(true);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
