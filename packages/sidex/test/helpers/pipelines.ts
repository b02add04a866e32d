import fs from 'node:fs';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { Sidex, TaskStatus } from '../../dist/index.js';
import { forever } from '../fixtures/pipelines.js';
import { eventually, tempDir } from './sidex.js';

/** The status of a task, read through the service. */
export const statusOf = (sidex: Sidex, token: string): Promise<TaskStatus> => sidex.pipelines.getTaskStatus({ token });

/** The environment marker of the task's process tree, to look for survivors. */
export async function markerOfTask(sidex: Sidex, token: string): Promise<string | undefined> {
  const { id } = await statusOf(sidex, token);
  return (await sidex.engine.get(id))?.marker;
}

/** Waits until the task's status satisfies `check`; fails the test with the last status if it never does. */
export async function untilStatus(sidex: Sidex, token: string, check: (s: TaskStatus) => boolean, timeoutMs = 10_000): Promise<TaskStatus> {
  let last: TaskStatus | undefined;
  const ok = await eventually(async () => check((last = await statusOf(sidex, token))), timeoutMs);
  if (!ok) throw new Error(`task ${token} never reached the expected status; last: ${JSON.stringify(last)}`);
  return last!;
}

/** The error a promise rejects with (or fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection, but it resolved');
}

/** A temporary directory removed after the file's tests. */
export function ownedDir(prefix: string): string {
  const dir = tempDir(prefix);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * An item that starts a child ignoring SIGTERM and never ends, and writes its
 * own pid and the child's to a file: for tests of a server in another process,
 * where a process tree's marker cannot be read. `pids()` waits for the file.
 */
export function foreverWithPids(): { code: string; pids(): Promise<number[]> } {
  const file = path.join(ownedDir('sidex-pids-'), 'pids.json');
  const code = `
    const child = require('node:child_process').spawn('sh', ['-c', 'trap "" TERM; sleep 600'], { stdio: 'ignore' });
    require('node:fs').writeFileSync(${JSON.stringify(file)}, JSON.stringify([process.pid, child.pid]));
    ${forever}`;
  const pids = async () => {
    if (!(await eventually(() => fs.existsSync(file) && fs.statSync(file).size > 0, 10_000))) throw new Error(`the item never wrote ${file}`);
    return JSON.parse(fs.readFileSync(file, 'utf8')) as number[];
  };
  return { code, pids };
}
