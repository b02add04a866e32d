// An execution's inbox (cluster/inbox.ts) on a real Redis: what servers send
// is taken once, in order, whoever sends it and however it is read.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { InboxReader, InboxSender, withEntries, type InboxOp } from '../dist/cluster/inbox.js';
import { inboxKey } from '../dist/cluster/keys.js';
import { clusterMissing, redisDb } from './helpers/cluster.js';
import { serversFor } from './helpers/machine-needs.js';

if (serversFor('cluster inbox', clusterMissing())) {
  describe('cluster inbox', () => {
    const connections: Redis[] = [];
    const connect = async () => {
      const redis = new Redis(await redisDb(9));
      connections.push(redis);
      return redis;
    };
    afterAll(() => connections.forEach((r) => r.disconnect()));

    it('entries from two servers are taken in the order each sent them, across reads of 100, and the inbox is left empty', async () => {
      const redis = await connect();
      const id = `side_inbox_${randomUUID()}`;
      const [a, b] = [new InboxSender(redis, 'a'), new InboxSender(redis, 'b')];
      const sends: Promise<unknown>[] = [];
      for (let i = 0; i < 250; i++) sends.push(a.send(id, { op: 'message', value: `a${i}` }), b.send(id, { op: 'progress', value: `b${i}` }));
      await Promise.all(sends);
      expect(await withEntries(redis, [id, `${id}_none`])).toEqual([id]);
      const taken: InboxOp[] = [];
      const reader = new InboxReader(redis, id, (op) => taken.push(op));
      await Promise.all([reader.take(), reader.take()]);
      expect(taken.filter((op) => op.op === 'message').map((op) => op.value)).toEqual(Array.from({ length: 250 }, (_, i) => `a${i}`));
      expect(taken.filter((op) => op.op === 'progress').map((op) => op.value)).toEqual(Array.from({ length: 250 }, (_, i) => `b${i}`));
      expect(await redis.exists(inboxKey(id))).toBe(0);
      expect(await withEntries(redis, [id])).toEqual([]);
    });

    it('an entry written twice (a command sent again after a dropped connection) is taken once', async () => {
      const redis = await connect();
      const id = `side_inbox_${randomUUID()}`;
      const sender = new InboxSender(redis, 'a');
      await sender.send(id, { op: 'message', value: 'first' });
      const [written] = await redis.lrange(inboxKey(id), 0, 0);
      await redis.rpush(inboxKey(id), written!);
      await sender.send(id, { op: 'message', value: 'second' });
      const taken: unknown[] = [];
      await new InboxReader(redis, id, (op) => taken.push(op.value)).take();
      expect(taken).toEqual(['first', 'second']);
    });

    it('an inbox expires a day after its last entry', async () => {
      const redis = await connect();
      const id = `side_inbox_${randomUUID()}`;
      await new InboxSender(redis, 'a').send(id, { op: 'message', value: 1 });
      const ttl = await redis.ttl(inboxKey(id));
      expect(ttl).toBeGreaterThan(24 * 3600 - 60);
      expect(ttl).toBeLessThanOrEqual(24 * 3600);
      await redis.del(inboxKey(id));
    });
  });
}
