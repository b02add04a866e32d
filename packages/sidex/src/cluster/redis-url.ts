import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { SidexError } from '../errors.js';

/**
 * `redis://[user:password@]host:port[/db]` (the `--queue` option) as
 * connection options. Every connection retries for ever: a Redis restart is
 * waited out, not reported as a failure of the work in flight.
 */
export function redisOptions(spec: string): RedisOptions {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw badQueue(spec, 'it is not a URL');
  }
  if (url.protocol !== 'redis:') throw badQueue(spec, `the scheme is ${url.protocol.replace(':', '')}, not redis`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) throw badQueue(spec, `the database "${db}" is not a number`);
  return {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    ...(db ? { db: Number(db) } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    // BullMQ's blocking connections require it; a command waits out a reconnect instead of failing.
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  };
}

/** The same options as BullMQ types them (its own declaration of ioredis's options). */
export const bullConnection = (options: RedisOptions): ConnectionOptions => options as ConnectionOptions;

/** A connection, ready (or failing with QUEUE_UNAVAILABLE after `timeoutMs`). */
export async function connectRedis(options: RedisOptions, timeoutMs = 5000): Promise<Redis> {
  const redis = new Redis({ ...options, lazyConnect: true });
  redis.on('error', () => {}); // reconnects by itself; callers see failures through their commands
  const timer = setTimeout(() => redis.disconnect(), timeoutMs);
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new SidexError('QUEUE_UNAVAILABLE', `cannot reach Redis at ${options.host}:${options.port}: ${(err as Error).message}`, { field: 'queue' });
  } finally {
    clearTimeout(timer);
  }
  // ioredis selects the database as it connects, and when Redis has no such database it says so
  // only as an error event, then runs every command on database 0: another cluster's. (Database 0
  // always exists: ioredis sends no SELECT for it, nor does this.)
  if (options.db) {
    try {
      await redis.select(options.db);
    } catch (err) {
      redis.disconnect();
      throw new SidexError('INVALID_CONFIG', `the queue (--queue, SIDEX_QUEUE, queue): Redis at ${options.host}:${options.port} has no database ${options.db} (${(err as Error).message})`, { field: 'queue' });
    }
  }
  return redis;
}

function badQueue(spec: string, why: string): SidexError {
  return new SidexError('INVALID_CONFIG', `--queue "${spec.replace(/\/\/[^@/]*@/, '//***@')}": ${why}; use redis://host:port[/db]`, { field: 'queue' });
}
