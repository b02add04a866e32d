import fs from 'node:fs';
import { afterAll } from 'vitest';
import type { Sidex, TaskStatus } from '../../dist/index.js';
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
