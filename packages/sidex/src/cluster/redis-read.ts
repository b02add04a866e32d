import { SidexError } from '../errors.js';

/** How long a request waits on a Redis read before it is refused. */
export const READ_TIMEOUT_MS = 5000;

/**
 * A read a request waits on, bounded: every connection retries for ever and
 * queues its commands meanwhile (redis-url.ts), which outlasts a restart but
 * would hold a caller for as long as Redis is away. Past the bound, or on a
 * failure, QUEUE_UNAVAILABLE naming what could not be done. Only for reads:
 * a write that times out here may still be carried out once Redis is back.
 */
export async function boundedRead<T>(read: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SidexError('QUEUE_UNAVAILABLE', `Redis did not answer within ${READ_TIMEOUT_MS} ms: ${what}`)), READ_TIMEOUT_MS);
  });
  try {
    return await Promise.race([read, late]);
  } catch (err) {
    if (err instanceof SidexError) throw err;
    throw new SidexError('QUEUE_UNAVAILABLE', `cannot read from Redis (${(err as Error).message}): ${what}`);
  } finally {
    clearTimeout(timer);
  }
}
