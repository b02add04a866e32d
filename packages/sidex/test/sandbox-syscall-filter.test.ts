// The seccomp filter every sandbox loads (engine/sandbox/syscall-filter.ts):
// its programs are libseccomp's output, and this machine's sandboxes load it.
// What it refuses is tested by the attack itself, from inside executions
// (sandbox-attacks.test.ts, sandbox-non-root.test.ts); the programs for
// machines other than this one are run here as the kernel would run them.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveIsolation } from '../dist/engine/sandbox/isolation.js';
import { SYSCALL_FILTERS, syscallFilterFor } from '../dist/engine/sandbox/syscall-filter.js';
import { installed, itNeeds } from './helpers/machine-needs.js';
import { startupWarnings } from './helpers/startup-warnings.js';

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

  // Only this machine's program is loaded by a kernel here (x86-64); the others are checked by running them as the kernel would.
  it.each([
    // The keyring calls' numbers per ABI, from the kernel's syscall tables (arch/*/entry/syscalls, include/uapi/asm-generic/unistd.h).
    ['x64', [{ abi: 'x86-64', arch: 0xc000003e, keyring: [248, 249, 250] }, { abi: 'x32', arch: 0xc000003e, keyring: [248, 249, 250], base: 0x4000_0000 }, { abi: 'i386', arch: 0x40000003, keyring: [286, 287, 288] }]],
    ['arm64', [{ abi: 'aarch64', arch: 0xc00000b7, keyring: [217, 218, 219] }, { abi: 'arm (32-bit)', arch: 0x40000028, keyring: [309, 310, 311] }]],
  ] as const)('for %s: EPERM for the keyring calls of every ABI it covers, every other call allowed, another machine\'s calls killed', (machine, abis) => {
    const program = syscallFilterFor(machine)!;
    const EPERM = 0x0005_0001; // SECCOMP_RET_ERRNO | 1
    const ALLOW = 0x7fff_0000;
    for (const { abi, arch, keyring, base = 0 } of abis as ReadonlyArray<{ abi: string; arch: number; keyring: readonly number[]; base?: number }>) {
      for (let nr = 0; nr < 512; nr++) {
        expect({ abi, nr, verdict: verdict(program, arch, base + nr) }).toEqual({ abi, nr, verdict: keyring.includes(nr) ? EPERM : ALLOW });
      }
    }
    expect(verdict(program, 0xc0000015 /* ppc64le */, 250)).toBe(0); // SECCOMP_RET_KILL_THREAD
  });

  // security.md promises it: a sandbox without the filter still runs, and the server says so as it starts.
  it('where sandboxes run without it, the start-up log warns with the reason', () => {
    const warned = [...startupWarnings({}), ...startupWarnings({ syscallFilterGap: 'no seccomp filter is built for riscv64' })];
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ reason: 'no seccomp filter is built for riscv64', msg: expect.stringContaining('sandboxes run without their seccomp filter') });
    expect(syscallFilterFor('riscv64')).toBeUndefined();
  });
});

/**
 * What a classic BPF seccomp program answers for one system call, run as the
 * kernel runs it on struct seccomp_data (nr at offset 0, arch at 4). Only the
 * three instructions libseccomp emits for these programs are known: loading
 * a word of the data, jumping on equality, returning.
 */
function verdict(program: Buffer, arch: number, nr: number): number {
  const words = new Map([
    [0, nr >>> 0],
    [4, arch >>> 0],
  ]);
  let a = 0;
  for (let pc = 0; pc * 8 < program.length; ) {
    const at = pc * 8;
    const [code, jt, jf, k] = [program.readUInt16LE(at), program[at + 2]!, program[at + 3]!, program.readUInt32LE(at + 4)];
    if (code === 0x20 && words.has(k)) {
      a = words.get(k)!;
      pc++;
    } else if (code === 0x15) pc += 1 + (a === k ? jt : jf);
    else if (code === 0x06) return k;
    else throw new Error(`instruction ${code.toString(16)} (k ${k}) at ${pc} is not one this check knows`);
  }
  throw new Error('the program ran past its end');
}
