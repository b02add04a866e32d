import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { afterAll } from 'vitest';
import type { Sidex, TaskStatus } from '../../dist/index.js';
import { findMarked } from '../../dist/engine/tree/marker.js';
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
 * An item that starts a child ignoring SIGTERM and never ends; the child's
 * processes carry a token in their environment by which a test finds them
 * from outside (a sandbox's pids and files are its own). `processes()` waits
 * until they are there and gives their host pids.
 */
export function foreverWithChild(): { code: string; processes(): Promise<number[]>; alive(): number[] } {
  const token = `sidex-test-tree-${randomUUID()}`;
  const code = `
    require('node:child_process').spawn('sh', ['-c', 'trap "" TERM; sleep 600'], { stdio: 'ignore', env: { ...process.env, SIDEX_TEST_TREE: ${JSON.stringify(token)} } });
    ${forever}`;
  const alive = () => findMarked((environ) => environ.includes(`SIDEX_TEST_TREE=${token}`));
  const processes = async () => {
    if (!(await eventually(() => alive().length >= 2, 10_000))) throw new Error(`the item's child never started (${token})`);
    return alive();
  };
  return { code, processes, alive };
}
