import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueDepth, WorkerInfo } from '@sidex/protocol';
import type { ClusterWorkers } from '../engine/execution-engine.js';
import { QUEUES_SET, queueName, tagsOfQueue } from './keys.js';
import { boundedRead } from './redis-read.js';
import { allWorkers, forgetWorkers, type WorkerState } from './worker-registry.js';

/** A worker silent for this long is forgotten: a killed one never removes itself, and names like host:pid never come back. */
export const FORGET_AFTER_MS = 60 * 60 * 1000;

export interface ListingSource {
  redis: Redis;
  /** The BullMQ queue of that name (the engine's own, already open). */
  queue(name: string): Queue;
  /** Without a heartbeat for this long, a worker is `stale`: its jobs' locks have expired (the loss bound). */
  staleAfterMs: number;
}

/** Starts waiting, taken, and retrying later, as BullMQ counts them (every sidex job has a priority: `prioritized` is waiting). */
export async function depthOf(queue: Queue): Promise<{ waiting: number; active: number; delayed: number }> {
  const counts = await queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
  return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0 };
}

/**
 * Every worker the registry holds, stale ones marked so (and forgotten after
 * an hour), and the depth of the untagged queue and of every queue a start
 * was added to. Fails with QUEUE_UNAVAILABLE rather than wait on Redis.
 */
export function listWorkers(source: ListingSource): Promise<ClusterWorkers> {
  return boundedRead(read(source), 'the workers cannot be listed');
}

async function read({ redis, queue, staleAfterMs }: ListingSource): Promise<ClusterWorkers> {
  const now = Date.now();
  const [states, known] = await Promise.all([allWorkers(redis), redis.smembers(QUEUES_SET)]);
  const gone = states.filter((w) => now - w.at > FORGET_AFTER_MS);
  // A worker heard from between the read and this delete reappears at its next heartbeat.
  await forgetWorkers(redis, gone.map((w) => w.name));
  const workers = states
    .filter((w) => !gone.includes(w))
    .map((w) => infoOf(w, now, staleAfterMs))
    .sort((a, b) => a.name.localeCompare(b.name));
  const names = [...new Set([queueName(undefined), ...known])].sort((a, b) => tagsOfQueue(a).length - tagsOfQueue(b).length || a.localeCompare(b));
  const serving = workers.filter((w) => w.state === 'live');
  const queues = await Promise.all(
    names.map(async (name): Promise<QueueDepth> => {
      const tags = tagsOfQueue(name);
      return { name, tags, ...(await depthOf(queue(name))), workers: serving.filter((w) => tags.every((t) => w.tags.includes(t))).length };
    }),
  );
  return { workers, queues, staleAfterMs };
}

function infoOf(w: WorkerState, now: number, staleAfterMs: number): WorkerInfo {
  const age = Math.max(0, now - w.at);
  return {
    name: w.name,
    tags: w.tags,
    concurrency: w.concurrency,
    running: w.running,
    state: age > staleAfterMs ? 'stale' : w.draining ? 'draining' : 'live',
    heartbeatAt: w.at,
    heartbeatAgeMs: age,
    ...(w.host !== undefined ? { host: w.host } : {}),
    ...(w.pid !== undefined ? { pid: w.pid } : {}),
    ...(w.startedAt !== undefined ? { startedAt: w.startedAt } : {}),
    ...(w.memoryBytes !== undefined ? { memoryBytes: w.memoryBytes } : {}),
    ...(w.isolation !== undefined ? { isolation: w.isolation } : {}),
  };
}
