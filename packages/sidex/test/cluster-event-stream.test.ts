// A worker's engine events on the Redis events stream, as a server reads them:
// a real engine runs real code, a real Redis carries its events, and a
// blocking XREAD (what every server's reader does) takes them.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_STREAM_BOUNDS, publishEngineEvents } from '../dist/cluster/event-stream.js';
import { EVENTS_STREAM } from '../dist/cluster/keys.js';
import { clusterMissing, redisDb } from './helpers/cluster.js';
import { serversFor } from './helpers/machine-needs.js';
import { makeSidex } from './helpers/sidex.js';

type Entry = [id: string, fields: string[]];
const STARTS = 5;

/** The test's reader, by name: other suites' servers block in XREAD on the same Redis. */
const READER = 'event-stream-test-reader';

/** Resolves once the reader is blocked in its XREAD (CLIENT LIST flags it `b`). */
async function blockedReader(redis: Redis): Promise<void> {
  for (let tries = 0; tries < 500; tries++) {
    const clients = (await redis.client('LIST')) as string;
    if (clients.split('\n').some((line) => line.includes(` name=${READER} `) && / flags=\S*b\S* /.test(line) && / cmd=xread\b/.test(line))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no client blocked in XREAD after 5 s');
}

if (serversFor('cluster event stream', clusterMissing())) {
  describe('cluster event stream', () => {
    const sidex = makeSidex({ engine: { isolation: 'process', poolSize: 1 } });
    const redis: Redis[] = [];
    afterAll(() => redis.forEach((r) => r.disconnect()));

    it("a started execution's `starting` and `running` reach a blocked reader in one read, so a start's answer waits for one round trip, not two", async () => {
      const url = await redisDb(9);
      const writer = new Redis(url);
      const reader = new Redis(url, { connectionName: READER });
      redis.push(writer, reader);
      const publisher = publishEngineEvents(sidex.engine, writer, DEFAULT_STREAM_BOUNDS);
      try {
        for (let i = 0; i < STARTS; i++) {
          await sidex.engine.warm();
          // The worker's case: a server wrote the record `queued`, so the move to `starting` is carried by the `running` write.
          const id = `side_stream${i}`;
          let last = '$';
          const reads: string[][] = [];
          const readAll = (async () => {
            while (!reads.flat().some((s) => s === 'completed')) {
              const reply = (await reader.xread('COUNT', 100, 'BLOCK', 5000, 'STREAMS', EVENTS_STREAM, last)) as [string, Entry[]][] | null;
              if (!reply) throw new Error(`no event within 5 s; read so far: ${JSON.stringify(reads)}`);
              const entries = reply[0]![1];
              last = entries.at(-1)![0];
              const statuses = entries.map(([, f]) => (f[1] === 'status' ? JSON.parse(f[3]!) : undefined)).filter((r) => r?.id === id);
              if (statuses.length > 0) reads.push(statuses.map((r: { status: string }) => r.status));
            }
          })();
          // The blocking read is in place before the execution exists.
          await blockedReader(writer);
          await sidex.engine.start({ prefix: 'side', kind: 'inline', name: 'stream', code: 'await new Promise((r) => setTimeout(r, 50)); return 1;', queued: { id, createdAt: Date.now() } });
          await readAll;
          expect(reads.flat()).toEqual(['queued', 'starting', 'running', 'completed']);
          expect(reads).toContainEqual(['starting', 'running']);
        }
      } finally {
        publisher.close();
      }
    }, 60_000);
  });
}
