// HeldProcess: a process held by a descriptor of its /proc entry, against
// real child processes, as the stop's SIGTERM to a sandboxed runtime uses it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HeldProcess } from '../dist/engine/tree/held-process.js';
import { itNeeds } from './helpers/machine-needs.js';

async function started(): Promise<ChildProcess> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return child;
}

async function reaped(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

describe('HeldProcess', () => {
  it('is there while the process lives, and not once it is reaped', async () => {
    const child = await started();
    const held = HeldProcess.open(child.pid!)!;
    try {
      expect(held.isThere()).toBe(true);
      expect(held.isThere()).toBe(true); // read again at offset 0
      await reaped(child);
      expect(held.isThere()).toBe(false);
    } finally {
      held.close();
      await reaped(child);
    }
  });

  it('cannot be opened for a pid that is gone, and is not there once closed', async () => {
    const child = await started();
    const pid = child.pid!;
    const held = HeldProcess.open(pid)!;
    held.close();
    expect(held.isThere()).toBe(false);
    await reaped(child);
    expect(HeldProcess.open(pid)).toBeUndefined();
  });

  // Root picks the next pid (ns_last_pid), so that a new process takes the held one's.
  itNeeds('root', process.getuid?.() === 0)('is not there once its pid belongs to a later process', async () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const first = await started();
      const pid = first.pid!;
      const held = HeldProcess.open(pid)!;
      await reaped(first);
      fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
      const later = await started();
      try {
        if (later.pid !== pid) continue; // another process took the pid first: again
        expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
        expect(held.isThere()).toBe(false);
        return;
      } finally {
        held.close();
        await reaped(later);
      }
    }
    throw new Error('no later process got the pid in 20 attempts');
  });
});
