import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TERMINAL_STATUSES } from '@sidex/client';
import { afterAll, expect } from 'vitest';
import { Sidex, type SidexOptions } from '../../dist/index.js';
import { findMarked, markerMatcher } from '../../dist/engine/tree/marker.js';

/**
 * A fresh directory others may read, as a project directory is: a root
 * server's sandboxes run as an unprivileged uid, which must read the blocks it runs.
 */
export function tempDir(prefix = 'sidex-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** A real in-process sidex on a fresh data directory, closed after the file's tests. */
export function makeSidex(options: Partial<SidexOptions> = {}): Sidex {
  const root = tempDir();
  const sidex = new Sidex({
    dataDir: path.join(root, 'data'),
    projectDir: options.projectDir ?? path.join(root, 'project'),
    globalDir: path.join(root, 'global'),
    ...options,
    engine: { poolSize: 2, ...options.engine },
  });
  afterAll(async () => {
    await sidex.close({ graceMs: 1000 });
    fs.rmSync(root, { recursive: true, force: true });
  });
  return sidex;
}

/** Live processes carrying an execution's tree marker. */
export function survivors(marker: string | undefined): number[] {
  if (!marker) return [];
  return findMarked(markerMatcher(marker, 'exact'));
}

/**
 * No process carries any of these markers and none of these pids is alive. A
 * killed process's environment (its marker) is gone before its pid is, so a
 * wait for the end of a tree checks both.
 */
export function treesGone(markers: readonly string[], pids: readonly number[]): boolean {
  return markers.every((m) => survivors(m).length === 0) && !pids.some(pidAlive);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (bounded) until `statusOf` gives a terminal status: a fixed sleep is a guess a loaded machine can miss. */
export async function untilEnded(statusOf: () => Promise<unknown>, timeoutMs = 10_000): Promise<void> {
  const over = async () => (TERMINAL_STATUSES as readonly unknown[]).includes(await statusOf());
  expect(await eventually(over, timeoutMs)).toBe(true);
}

/** Polls until `check` is true or `timeoutMs` passes; returns the last value of check. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, everyMs = 20): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** A list for pids a test starts outside sidex: any still alive is SIGKILLed after the file's tests. */
export function killedAfterAll(): number[] {
  const pids: number[] = [];
  afterAll(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });
  return pids;
}
