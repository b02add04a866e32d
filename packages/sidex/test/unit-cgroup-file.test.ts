// CgroupFile: the cgroup files a stop and the sampler read again and again,
// through one descriptor held open, against real cgroups and /proc files.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CgroupFile } from '../dist/engine/tree/cgroup-file.js';
import { unifiedMountPoint } from '../dist/engine/tree/cgroup-paths.js';
import { itNeeds } from './helpers/machine-needs.js';
import { eventually, tempDir } from './helpers/sidex.js';

function writableUnified(): string | undefined {
  const root = unifiedMountPoint();
  if (!root) return undefined;
  const probe = path.join(root, `sidex-probe-${process.pid}`);
  try {
    fs.mkdirSync(probe);
    fs.rmdirSync(probe);
    return root;
  } catch {
    return undefined;
  }
}

const unified = writableUnified();

async function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}

describe('CgroupFile', () => {
  itNeeds('a cgroup v2 hierarchy this user may write', unified !== undefined)(
    "reads the file anew at every read (a process joining, then leaving), and nothing once the cgroup is removed",
    async () => {
      const dir = path.join(unified!, `sidex-test-cgroup-file-${process.pid}`);
      fs.mkdirSync(dir);
      const procs = new CgroupFile(path.join(dir, 'cgroup.procs')).open();
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        expect(procs.read()).toBe('');
        fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(child.pid));
        expect(procs.read()).toBe(`${child.pid}\n`);
        await ended(child);
        expect(await eventually(() => procs.read() === '')).toBe(true);
        fs.rmdirSync(dir);
        expect(procs.read()).toBeUndefined();
      } finally {
        await ended(child);
        procs.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('reads a file the kernel hands out a page at a time whole (/proc/crypto, several pages, unchanging)', () => {
    const crypto = new CgroupFile('/proc/crypto');
    const text = crypto.read();
    expect(text).toBe(fs.readFileSync('/proc/crypto', 'latin1'));
    expect(text!.length).toBeGreaterThan(8192);
    crypto.close();
    expect(crypto.read()).toBeUndefined();
  });

  it('reads a file longer than its buffer whole, and a shorter one after it without the longer one\'s rest', () => {
    const dir = tempDir();
    const [long, short] = [path.join(dir, 'long'), path.join(dir, 'short')];
    const content = Array.from({ length: 40_000 }, (_, i) => `${i}\n`).join('');
    fs.writeFileSync(long, content);
    fs.writeFileSync(short, 'short\n');
    expect(new CgroupFile(long).read()).toBe(content);
    expect(new CgroupFile(short).read()).toBe('short\n');
  });

  it('a file not there yet reads as undefined, and is read once it is there', () => {
    const file = path.join(tempDir(), 'later');
    const later = new CgroupFile(file).open();
    expect(later.read()).toBeUndefined();
    fs.writeFileSync(file, '42\n');
    expect(later.read()).toBe('42\n');
    later.close();
  });
});
