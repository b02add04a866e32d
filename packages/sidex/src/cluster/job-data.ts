// A start as a BullMQ job carries it: JSON in Redis. Everything in a spec is
// JSON already but a command's stdin bytes, which travel as base64 so that
// the worker writes exactly the bytes the caller gave.
import type { JobsOptions } from 'bullmq';
import type { StartSpec } from '../engine/execution.js';
import type { Schedule } from '../model/record.js';

type JobSpec = Omit<StartSpec, 'stdin'> & { stdin?: { base64?: string; open?: boolean } };

/** What a job carries: the spec, its id and creation time fixed by the server that queued it. */
export interface JobData {
  spec: JobSpec;
}

export function jobDataOf(spec: StartSpec, queued: { id: string; createdAt: number }): JobData {
  const { stdin, ...rest } = spec;
  const encoded = stdin && { ...(stdin.data?.length ? { base64: stdin.data.toString('base64') } : {}), ...(stdin.open !== undefined ? { open: stdin.open } : {}) };
  return { spec: { ...rest, queued, ...(encoded ? { stdin: encoded } : {}) } };
}

/** The spec a worker's engine runs; how it was queued is behind it (its retries are BullMQ's, not the engine's). */
export function specOfJob(data: JobData): StartSpec {
  const { stdin, schedule: _queued, ...rest } = data.spec;
  const decoded = stdin && { ...(stdin.base64 !== undefined ? { data: Buffer.from(stdin.base64, 'base64') } : {}), ...(stdin.open !== undefined ? { open: stdin.open } : {}) };
  return { ...rest, ...(decoded ? { stdin: decoded } : {}) };
}

/** What a tombstone carries (job-tombstone.ts): nothing to run. */
export interface Tombstone {
  tombstone: true;
}

export const isTombstone = (data: JobData | Tombstone): data is Tombstone => 'tombstone' in data;

/** No retries unless asked (code is not idempotent); priority: higher sooner, FIFO within one. */
export function jobOptions(id: string, schedule: Schedule | undefined): JobsOptions {
  const retries = schedule?.retries ?? 0;
  return {
    jobId: id,
    // BullMQ: 1 is taken first; every job gets one, so FIFO holds within a priority.
    priority: 101 - (schedule?.priority ?? 0),
    attempts: 1 + retries,
    ...(retries > 0 ? { backoff: { type: 'fixed', delay: schedule?.backoffMs ?? 1000 } } : {}),
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: { age: 24 * 3600, count: 10_000 },
  };
}
