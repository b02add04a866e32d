// A start a worker's engine refused (what depends on its machine: a cwd it
// lacks, a network without a sandbox, child processes forbidden) answers its
// caller as one machine answers: with the error, its code and details. The
// worker leaves the error here before it writes the record `failed`, so the
// server that sees that record may answer with it.
import type { Redis } from 'ioredis';
import { errorParts, SidexError, type ErrorParts } from '../errors.js';
import { startRefusal } from './keys.js';

/** Long enough for the server waiting on the start to read it. */
const KEPT_SEC = 300;

export function keepRefusal(redis: Redis, id: string, err: unknown): Promise<unknown> {
  return redis.set(startRefusal(id), JSON.stringify(errorParts(err)), 'EX', KEPT_SEC);
}

/** The refusal of this start, if its worker refused it; taken once. */
export async function takeRefusal(redis: Redis, id: string): Promise<SidexError | undefined> {
  const text = await redis.getdel(startRefusal(id));
  if (!text) return undefined;
  const { code, message, details } = JSON.parse(text) as ErrorParts;
  return new SidexError(code, message, details);
}
