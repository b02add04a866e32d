import type { Redis } from 'ioredis';
import type { WorkerIsolation } from '@sidex/protocol';
import { WORKERS_HASH } from './keys.js';

/** What a worker says of itself, refreshed on every change and by its heartbeat. */
export interface WorkerState {
  name: string;
  concurrency: number;
  running: number;
  tags: string[];
  /** Epoch ms of the last refresh. */
  at: number;
  /** Shutting down: it takes no new work (its `running` is still what it holds). */
  draining?: boolean;
  host?: string;
  pid?: number;
  startedAt?: number;
  /** The worker process's resident memory, bytes. */
  memoryBytes?: number;
  isolation?: WorkerIsolation;
}

export function publishWorkerState(redis: Redis, state: Omit<WorkerState, 'at'>): Promise<unknown> {
  return redis.hset(WORKERS_HASH, state.name, JSON.stringify({ ...state, at: Date.now() }));
}

export function removeWorker(redis: Redis, name: string): Promise<unknown> {
  return redis.hdel(WORKERS_HASH, name);
}

/** Every worker the hash holds, however long ago it was heard from. */
export async function allWorkers(redis: Redis): Promise<WorkerState[]> {
  return Object.values(await redis.hgetall(WORKERS_HASH)).map((json) => JSON.parse(json) as WorkerState);
}

/** Workers heard from within `freshMs`. */
export async function liveWorkers(redis: Redis, freshMs: number): Promise<WorkerState[]> {
  const since = Date.now() - freshMs;
  return (await allWorkers(redis)).filter((w) => w.at >= since);
}

/** Forgets these workers (a killed one never removes itself). */
export async function forgetWorkers(redis: Redis, names: readonly string[]): Promise<void> {
  if (names.length > 0) await redis.hdel(WORKERS_HASH, ...names);
}

/** Slots free now on live workers that serve every one of `tags`. */
export function freeSlots(workers: readonly WorkerState[], tags: readonly string[] = []): number {
  return workers
    .filter((w) => tags.every((t) => w.tags.includes(t)))
    .reduce((sum, w) => sum + (w.draining ? 0 : Math.max(0, w.concurrency - w.running)), 0);
}
