import type { Redis } from 'ioredis';
import { statusEvent } from '../engine/final-status.js';
import { lostRecord } from '../lifecycle/recovery.js';
import { isTerminal } from '../model/record.js';
import type { ExecutionStore } from '../store/execution-store.js';
import { appendEvent, endOutput, type StreamBounds } from './event-stream.js';
import { lostClaim } from './keys.js';
import { outputTails } from './output-log.js';

/** BullMQ's reason for a job whose lock expired more often than maxStalledCount (0: once). */
export const STALLED_REASON = 'job stalled more than allowable limit';

export interface LostContext {
  redis: Redis;
  store: ExecutionStore;
  bounds: StreamBounds;
  tailBytes: number;
}

/**
 * An execution whose worker stopped renewing its job's lock (killed, or cut
 * off): its record becomes `failed`, `supervisor_lost`, with its output as the
 * stream holds it. Every server and worker that notices calls this; one
 * claim in Redis lets only the first write. Its processes died with their
 * worker: the sandbox dies with its parent and the guardian kills the rest.
 */
export async function recordLost(context: LostContext, id: string): Promise<boolean> {
  const claimed = await context.redis.set(lostClaim(id), '1', 'EX', 300, 'NX');
  if (claimed !== 'OK') return false;
  const record = await context.store.get(id);
  if (!record || isTerminal(record.status)) return false;
  const lost = lostRecord(record, await outputTails(context.redis, id, context.tailBytes));
  await context.store.update(lost, statusEvent(lost));
  await appendEvent(context.redis, context.bounds, 'status', lost);
  await endOutput(context.redis, context.bounds, id);
  return true;
}
