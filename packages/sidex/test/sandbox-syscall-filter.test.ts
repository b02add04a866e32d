// The seccomp filter every sandbox loads (engine/sandbox/syscall-filter.ts):
// its programs are libseccomp's output, and this machine's sandboxes load it.
// What it refuses is tested by the attack itself, from inside executions
// (sandbox-attacks.test.ts, sandbox-non-root.test.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../dist/engine/engine.js';
import { logEngineModes } from '../dist/server/engine-modes.js';
import { resolveIsolation } from '../dist/engine/sandbox/isolation.js';
import { SYSCALL_FILTERS, syscallFilterFor } from '../dist/engine/sandbox/syscall-filter.js';
import { installed, itNeeds } from './helpers/machine-needs.js';

const generator = fileURLToPath(new URL('../scripts/syscall-filter.py', import.meta.url));
// Debian's python3-seccomp is a module of Debian's own python3, not of another one on the PATH.
const libseccomp = spawnSync('/usr/bin/python3', ['-c', 'import seccomp']).status === 0;

describe('the seccomp filter', () => {
  itNeeds("Debian's python3-seccomp", libseccomp)('is what libseccomp builds from scripts/syscall-filter.py, for every machine it covers', () => {
    const generated = JSON.parse(execFileSync('/usr/bin/python3', [generator], { encoding: 'utf8' })) as Record<string, string>;
    expect(generated).toEqual(SYSCALL_FILTERS);
  });

  itNeeds('bwrap', installed('bwrap'))('is loaded by the sandboxes of this machine, whose kernel takes it', () => {
    const isolation = resolveIsolation('auto');
    expect(isolation.mode).toBe('sandbox');
    expect(isolation.syscallFilterGap).toBeUndefined();
    expect(isolation.syscallFilter).toEqual(syscallFilterFor());
  });

  // security.md promises it: a sandbox without the filter still runs, and the server says so as it starts.
  it('where sandboxes run without it, the start-up log warns with the reason', () => {
    const lines: Array<{ level: number; msg: string; reason?: string }> = [];
    const log = pino({}, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString())), done()) }));
    const engine = (gap?: string) => ({ isolation: { mode: 'sandbox', ...(gap ? { syscallFilterGap: gap } : {}) }, limits: { memory: 'kernel', pids: 'kernel', cpu: 'kernel', output: 'rlimit' } }) as unknown as Engine;
    logEngineModes(engine(), log);
    logEngineModes(engine('no seccomp filter is built for riscv64'), log);
    const warned = lines.filter((line) => line.level === 40);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ reason: 'no seccomp filter is built for riscv64', msg: expect.stringContaining('sandboxes run without their seccomp filter') });
    expect(syscallFilterFor('riscv64')).toBeUndefined();
  });
});
