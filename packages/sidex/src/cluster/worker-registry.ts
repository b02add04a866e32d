import type { Redis } from 'ioredis';
import { WORKERS_HASH } from './keys.js';

/** What a worker says of itself, refreshed on every change and by its heartbeat. */
export interface WorkerState {
  name: string;
  concurrency: number;
  running: number;
  tags: string[];
  /** Epoch ms of the last refresh. */
  at: number;
}

export function publishWorkerState(redis: Redis, state: Omit<WorkerState, 'at'>): Promise<unknown> {
  return redis.hset(WORKERS_HASH, state.name, JSON.stringify({ ...state, at: Date.now() }));
}

export function removeWorker(redis: Redis, name: string): Promise<unknown> {
  return redis.hdel(WORKERS_HASH, name);
}

/** Workers heard from within `freshMs`. */
export async function liveWorkers(redis: Redis, freshMs: number): Promise<WorkerState[]> {
  const all = await redis.hgetall(WORKERS_HASH);
  const since = Date.now() - freshMs;
  return Object.values(all)
    .map((json) => JSON.parse(json) as WorkerState)
    .filter((w) => w.at >= since);
}

/** Slots free now on live workers that serve every one of `tags`. */
export function freeSlots(workers: readonly WorkerState[], tags: readonly string[] = []): number {
  return workers
    .filter((w) => tags.every((t) => w.tags.includes(t)))
    .reduce((sum, w) => sum + Math.max(0, w.concurrency - w.running), 0);
}
