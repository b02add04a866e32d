// A start as a BullMQ job carries it: JSON in Redis. Everything in a spec is
// JSON already but a command's stdin bytes, which travel as base64 so that
// the worker writes exactly the bytes the caller gave.
import type { StartSpec } from '../engine/execution.js';

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
