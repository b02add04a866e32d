// An execution's output in the cluster lives in its own Redis stream (written
// by its worker as the engine reads it, closed by an `end` entry, expiring
// after the bound), and its tails in its record in PostgreSQL. Entries hold
// the bytes as written and are read as bytes: an entry an older worker wrote
// as text reads back as that text's UTF-8, as it always did.
import type { Redis } from 'ioredis';
import type { LogFrame, StreamName } from '../engine/output/log-format.js';
import type { ExecutionRecord, StreamText } from '../model/record.js';
import { outputStream } from './keys.js';

type Entry = [id: Buffer, fields: Buffer[]];
const PAGE = 1000;

function frameOf(fields: Buffer[]): LogFrame | 'end' {
  const map = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!.toString(), fields[i + 1]!);
  if (map.has('end')) return 'end';
  return { stream: map.get('s')?.toString() as StreamName, time: Number(map.get('t')?.toString()), data: map.get('d') ?? Buffer.alloc(0) };
}

/** A page of the stream after `last`, as bytes. */
async function page(redis: Redis, key: string, last: string): Promise<Entry[]> {
  return (await redis.xrangeBuffer(key, `(${last}`, '+', 'COUNT', PAGE)) as Entry[];
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
    const entries = await page(redis, key, last);
    for (const [entryId, fields] of entries) {
      last = entryId.toString();
      const frame = frameOf(fields);
      if (frame === 'end') return;
      yield frame;
    }
    if (entries.length < PAGE) break;
  }
  if (!options.follow) return;
  while (!options.signal?.aborted) {
    const reply = (await redis.xreadBuffer('COUNT', PAGE, 'BLOCK', 1000, 'STREAMS', key, last)) as [Buffer, Entry[]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) {
      if (await options.ended()) return;
      continue;
    }
    for (const [entryId, fields] of entries) {
      last = entryId.toString();
      const frame = frameOf(fields);
      if (frame === 'end') return;
      yield frame;
    }
  }
}

/** The last `tailBytes` of each stream as the output stream holds them: a lost execution's output up to the loss. */
export async function outputTails(redis: Redis, id: string, tailBytes: number): Promise<Pick<ExecutionRecord, 'stdout' | 'stderr'> | undefined> {
  const tails: Record<StreamName, { parts: Buffer[]; bytes: number; kept: number }> = {
    stdout: { parts: [], bytes: 0, kept: 0 },
    stderr: { parts: [], bytes: 0, kept: 0 },
  };
  let last = '0-0';
  let any = false;
  for (;;) {
    const entries = await page(redis, outputStream(id), last);
    for (const [entryId, fields] of entries) {
      last = entryId.toString();
      const frame = frameOf(fields);
      if (frame === 'end') continue;
      any = true;
      const tail = tails[frame.stream];
      tail.parts.push(frame.data);
      tail.bytes += frame.data.length;
      tail.kept += frame.data.length;
      while (tail.parts.length > 1 && tail.kept - tail.parts[0]!.length >= tailBytes) tail.kept -= tail.parts.shift()!.length;
    }
    if (entries.length < PAGE) break;
  }
  if (!any) return undefined;
  const text = (s: StreamName): StreamText => {
    const joined = Buffer.concat(tails[s].parts);
    return { text: joined.subarray(Math.max(0, joined.length - tailBytes)).toString('utf8'), truncated: tails[s].bytes > tailBytes, bytes: tails[s].bytes };
  };
  return { stdout: text('stdout'), stderr: text('stderr') };
}
