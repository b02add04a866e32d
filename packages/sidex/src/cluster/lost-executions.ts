import type { Redis } from 'ioredis';
import { statusEvent } from '../engine/final-status.js';
import { lostRecord } from '../lifecycle/recovery.js';
import { isTerminal, type ExecutionRecord } from '../model/record.js';
import type { ExecutionStore } from '../store/execution-store.js';
import { appendEvent, endOutput, type StreamBounds } from './event-stream.js';
import { endClaim } from './keys.js';
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
 * stream holds it. Every server and worker that notices calls this. Its
 * processes died with their worker: the sandbox dies with its parent and the
 * guardian kills the rest.
 */
export function recordLost(context: LostContext, id: string): Promise<boolean> {
  return endUnheld(context, id, async (record) => (isTerminal(record.status) ? undefined : lostRecord(record, await outputTails(context.redis, id, context.tailBytes))));
}

/**
 * Writes the end of an execution no worker holds (lost, or stopped while
 * queued), as `end` makes it from the stored record (undefined: no write).
 * One claim in Redis lets only the first of the servers and workers that
 * try write it: false for the others, who read the end from the store. A
 * claimer whose read or write fails releases the claim and throws.
 */
export async function endUnheld(context: LostContext, id: string, end: (record: ExecutionRecord) => ExecutionRecord | undefined | Promise<ExecutionRecord | undefined>): Promise<boolean> {
  const claimed = await context.redis.set(endClaim(id), '1', 'EX', 300, 'NX');
  if (claimed !== 'OK') return false;
  let ended: ExecutionRecord | undefined;
  try {
    const record = await context.store.get(id);
    ended = record && (await end(record));
    if (!ended) return false;
    await context.store.update(ended, statusEvent(ended));
  } catch (err) {
    // Nothing was written (or, the reply lost, the end was: the next to claim then reads it and writes nothing). Released, so that a stop sent again or the sweep can end it.
    await context.redis.del(endClaim(id)).catch(() => {});
    throw err;
  }
  await appendEvent(context.redis, context.bounds, 'status', ended);
  await endOutput(context.redis, context.bounds, id);
  return true;
}
