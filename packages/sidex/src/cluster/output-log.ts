// An execution's output in the cluster lives in its own Redis stream (written
// by its worker as the engine reads it, closed by an `end` entry, expiring
// after the bound), and its tails in its record in PostgreSQL.
import type { Redis } from 'ioredis';
import type { LogFrame, StreamName } from '../engine/output/log-format.js';
import type { ExecutionRecord, StreamText } from '../model/record.js';
import { outputStream } from './keys.js';

type Entry = [id: string, fields: string[]];
const PAGE = 1000;

function frameOf(fields: string[]): LogFrame | 'end' {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  if (map.has('end')) return 'end';
  return { stream: map.get('s') as StreamName, time: Number(map.get('t')), data: Buffer.from(map.get('d') ?? '', 'utf8') };
}

export interface FollowOptions {
  follow?: boolean;
  signal?: AbortSignal;
  /** Whether the execution has ended: a follower whose stream holds no `end` (a lost worker's) stops once it has. */
  ended(): Promise<boolean>;
}

/** Frames of the output stream in order; with follow, until its `end`. `redis` is the caller's own: following blocks it. */
export async function* outputFrames(redis: Redis, id: string, options: FollowOptions): AsyncGenerator<LogFrame> {
  const key = outputStream(id);
  let last = '0-0';
  for (;;) {
    const entries = (await redis.xrange(key, `(${last}`, '+', 'COUNT', PAGE)) as Entry[];
    for (const [entryId, fields] of entries) {
      last = entryId;
      const frame = frameOf(fields);
      if (frame === 'end') return;
      yield frame;
    }
    if (entries.length < PAGE) break;
  }
  if (!options.follow) return;
  while (!options.signal?.aborted) {
    const reply = (await redis.xread('COUNT', PAGE, 'BLOCK', 1000, 'STREAMS', key, last)) as [string, Entry[]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) {
      if (await options.ended()) return;
      continue;
    }
    for (const [entryId, fields] of entries) {
      last = entryId;
      const frame = frameOf(fields);
      if (frame === 'end') return;
      yield frame;
    }
  }
}

/** The last `tailBytes` of each stream as the output stream holds them: a lost execution's output up to the loss. */
export async function outputTails(redis: Redis, id: string, tailBytes: number): Promise<Pick<ExecutionRecord, 'stdout' | 'stderr'> | undefined> {
  const tails: Record<StreamName, { parts: string[]; bytes: number; kept: number }> = {
    stdout: { parts: [], bytes: 0, kept: 0 },
    stderr: { parts: [], bytes: 0, kept: 0 },
  };
  let last = '0-0';
  let any = false;
  for (;;) {
    const entries = (await redis.xrange(outputStream(id), `(${last}`, '+', 'COUNT', PAGE)) as Entry[];
    for (const [entryId, fields] of entries) {
      last = entryId;
      const frame = frameOf(fields);
      if (frame === 'end') continue;
      any = true;
      const tail = tails[frame.stream];
      tail.parts.push(frame.data.toString('utf8'));
      tail.bytes += frame.data.length;
      tail.kept += frame.data.length;
      while (tail.kept - Buffer.byteLength(tail.parts[0]!) >= tailBytes && tail.parts.length > 1) tail.kept -= Buffer.byteLength(tail.parts.shift()!);
    }
    if (entries.length < PAGE) break;
  }
  if (!any) return undefined;
  const text = (s: StreamName): StreamText => {
    const joined = Buffer.from(tails[s].parts.join(''), 'utf8');
    const kept = joined.length > tailBytes ? joined.subarray(joined.length - tailBytes).toString('utf8') : joined.toString('utf8');
    return { text: kept, truncated: tails[s].bytes > tailBytes, bytes: tails[s].bytes };
  };
  return { stdout: text('stdout'), stderr: text('stderr') };
}
