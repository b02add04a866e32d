// A record queued without its job is ended by a stop or by the orphan sweep
// while its start may still be adding the job (a moment after the record, or
// long after while Redis reconnects). A job added after the end would run
// over the ended record. So whoever ends it first adds a tombstone under the
// job's id: BullMQ ignores a later add of the same id, and a worker that
// takes the tombstone completes it without running anything. A tombstone
// waits in its queue until a worker takes it (counted in its depth), then is
// kept as long as any completed job (jobOptions: an hour, or 10,000 later
// completions); a start's add arriving later than that would run.
import type { Job, Queue } from 'bullmq';
import { isTombstone, jobOptions, type JobData, type Tombstone } from './job-data.js';

/** The start's own job under this id, if the queue holds it (a tombstone is no job). */
export async function startJobOf(queue: Queue, id: string): Promise<Job<JobData> | undefined> {
  const job = (await queue.getJob(id)) as Job<JobData | Tombstone> | undefined;
  return job && !isTombstone(job.data) ? (job as Job<JobData>) : undefined;
}

/** True: the queue holds a tombstone under this id, so nothing can run it. False: the start's own job is there (added meanwhile). */
export async function buryJob(queue: Queue, id: string): Promise<boolean> {
  const tombstone: Tombstone = { tombstone: true };
  // Taken first: a worker serving the queue completes it at once.
  await queue.add('tombstone', tombstone, { ...jobOptions(id, undefined), priority: 1 });
  return (await startJobOf(queue, id)) === undefined;
}
