// The cluster's faults on loopback: a worker SIGKILLed or sent SIGTERM,
// Redis restarted or away (a stop, a completion, pipeline items or a reply
// between servers published while nobody was subscribed), a queued record
// whose job is gone, and retries (none unless asked).
import { Queue, type ConnectionOptions } from 'bullmq';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputStream, QUEUE_PREFIX, queueName } from '../dist/cluster/keys.js';
import { redisOptions } from '../dist/cluster/redis-url.js';
import { clusterMissing, clusterSql, ownRedis, redisDb, startCluster, type OwnRedis, type TestCluster } from './helpers/cluster.js';
import { clusterApi, jsonOf, recordOf, startOn, statusOn, stopOn, untilOutput } from './helpers/cluster-api.js';
import { eventually, sleep, survivors } from './helpers/sidex.js';
import { freePort, type TestServer } from './helpers/server.js';
import { serversFor } from './helpers/machine-needs.js';
import { RawSocket } from './helpers/raw-ws.js';
import { RocketRideClient } from '@sidex/client/rocketride';
import { codeChain } from './fixtures/pipelines.js';
import { writeCodeboltWsBlock } from './fixtures/codebolt-ws-block.js';

const missing = clusterMissing();
const TICKS = 'for (let i = 0; ; i++) { console.log("tick " + i); await new Promise((r) => setTimeout(r, 100)); }';

/** The status transitions in an execution's history, in order. */
async function transitions(server: TestServer, id: string): Promise<string[]> {
  const history = await jsonOf(server, `/v1/executions/${id}/events`);
  return history.events.filter((e: { type: string }) => e.type === 'status').map((e: { data: { status: string } }) => e.data.status);
}

if (serversFor('cluster fault', missing)) {
  describe('cluster faults: workers', () => {
    let cluster: TestCluster;
    let a: TestServer;
    let b: TestServer;
    beforeAll(async () => {
      cluster = await startCluster({ queue: await redisDb(2), servers: 2, workers: 3, workerArgs: ['--concurrency', '2'] });
      [a, b] = cluster.servers as [TestServer, TestServer];
    }, 120_000);
    afterAll(() => cluster?.close(), 60_000);
    const workerOf = async (id: string) => {
      const name = (await recordOf(cluster, id)).worker;
      return cluster.workers.find((w) => w.name === name)!;
    };

    it('a worker SIGKILLed: its execution ends failed, supervisor_lost, within 10 s, output kept, processes dead, never run again', async () => {
      const id = (await startOn(a, { inlineCode: TICKS })).sideExecutionId as string;
      await untilOutput(b, id, 'tick 2');
      const { marker } = await recordOf(cluster, id);
      const worker = await workerOf(id);
      worker.child.kill('SIGKILL');
      const killedAt = Date.now();
      expect(await eventually(async () => (await statusOn(b, id)).status === 'failed', 15_000, 100)).toBe(true);
      const lostAfter = Date.now() - killedAt;
      expect(lostAfter).toBeLessThanOrEqual(10_000);
      const lost = await statusOn(a, id);
      expect([lost.stopReason, lost.worker]).toEqual(['supervisor_lost', worker.name]);
      expect(lost.output).toContain('tick 0\ntick 1\ntick 2\n');
      expect(await eventually(() => survivors(marker).length === 0, 5000)).toBe(true);
      // Its job went back to BullMQ marked failed: the live workers fail it on sight, they never run it.
      await sleep(1500);
      const after = await recordOf(cluster, id);
      expect([after.status, after.worker]).toEqual(['failed', worker.name]);
      expect((await transitions(a, id)).filter((s) => s === 'running')).toHaveLength(1);
    }, 40_000);

    it('a worker sent SIGTERM takes no new work, stops its executions within the grace, and exits', async () => {
      const live = cluster.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
      // Its cleanup takes 1.5 s after the stop: the worker is shutting down meanwhile.
      const slowToStop = `try { ${TICKS} } finally { await new Promise((r) => setTimeout(r, 1500)); console.log("cleaned up"); }`;
      const id = (await startOn(a, { inlineCode: slowToStop })).sideExecutionId as string;
      await untilOutput(a, id, 'tick 1');
      const worker = await workerOf(id);
      const termAt = Date.now();
      worker.child.kill('SIGTERM');
      await sleep(300);
      expect(worker.child.exitCode).toBe(null); // still shutting down...
      const during = await Promise.all(Array.from({ length: 3 }, () => startOn(b, { inlineCode: 'return 1' })));
      expect(await worker.exited).toBe(0);
      expect(Date.now() - termAt).toBeLessThan(5000 + 3000); // the shutdown grace (5 s), and the exit
      const ended = await statusOn(b, id);
      expect([ended.status, ended.stopReason, ended.output]).toEqual(['stopped', 'shutdown', expect.stringContaining('cleaned up\n')]);
      // ...and took none of the starts made meanwhile: the other workers ran them.
      const others = live.filter((w) => w !== worker).map((w) => w.name);
      for (const started of during) {
        const next = started.sideExecutionId as string;
        expect(await eventually(async () => (await statusOn(a, next)).status === 'completed', 10_000)).toBe(true);
        expect(others).toContain((await statusOn(a, next)).worker);
      }
    }, 40_000);

    it('a stop under way when its worker is SIGKILLed answers the end it met (success, failed), not ALREADY_FINISHED', async () => {
      const doomed = await cluster.addWorker('w9', ['--tags', 'doomed', '--concurrency', '1']);
      const hangsOnStop = `ctx.onStop(() => new Promise(() => {})); ${TICKS}`;
      const id = (await startOn(a, { inlineCode: hangsOnStop, options: { tags: ['doomed'] } })).sideExecutionId as string;
      await untilOutput(b, id, 'tick 1');
      const stopping = stopOn(b, id, { graceMs: 30_000 });
      expect(await eventually(async () => (await statusOn(a, id)).status === 'stopping', 5000)).toBe(true);
      doomed.child.kill('SIGKILL');
      expect(await stopping).toMatchObject({ success: true, status: 'failed', sideExecutionId: id });
      expect(await statusOn(a, id)).toMatchObject({ status: 'failed', stopReason: 'supervisor_lost' });
    }, 40_000);

    it('no retries by default: a failed execution ran once; retries are opt-in per start, with their backoff', async () => {
      const once = (await startOn(a, { inlineCode: 'throw new Error("boom")' })).sideExecutionId as string;
      expect(await eventually(async () => (await statusOn(b, once)).status === 'failed', 10_000)).toBe(true);
      await sleep(500);
      expect((await transitions(b, once)).filter((s) => s === 'running')).toHaveLength(1);
      const retried = (await startOn(a, { inlineCode: 'console.log("try " + Math.random()); throw new Error("boom")', options: { retries: 2, backoffMs: 100 } })).sideExecutionId as string;
      expect(await eventually(async () => (await transitions(b, retried)).filter((s) => s === 'running').length === 3, 15_000)).toBe(true);
      expect(await eventually(async () => (await statusOn(a, retried)).status === 'failed', 10_000)).toBe(true);
      await sleep(500);
      expect((await transitions(b, retried)).filter((s) => s === 'running')).toHaveLength(3);
      // Its log is the last try's, as its record's output is.
      expect(await untilOutput(a, retried, 'try')).toBe((await recordOf(cluster, retried)).stdout.text);
    }, 40_000);
    it('a follower gets every try of a retried execution, even when the try before wrote ids from a clock an hour ahead', async () => {
      const id = (await startOn(a, { inlineCode: 'console.log("try " + Math.random()); throw new Error("boom")', options: { retries: 1, backoffMs: 2000 } })).sideExecutionId as string;
      const response = await clusterApi(b, `/v1/executions/${id}/logs?follow=true`);
      let sse = '';
      const read = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of response.body!) sse += decoder.decode(chunk as Uint8Array, { stream: true });
      })();
      const retryEvent = async () => (await jsonOf(b, `/v1/executions/${id}/events`)).events.find((e: { data: { retry?: boolean } }) => e.data.retry === true);
      expect(await eventually(async () => (await retryEvent()) !== undefined, 10_000)).toBe(true);
      // In the backoff: the try before ends with an entry an hour ahead, as a worker whose clock runs fast writes them.
      const redis = new Redis(redisOptions(cluster.queue));
      try {
        await redis.xadd(outputStream(id), `${Date.now() + 3_600_000}-1`, 's', 'stdout', 't', String(Date.now()), 'd', 'ahead\n');
      } finally {
        redis.disconnect();
      }
      expect(await eventually(() => sse.includes('ahead'), 5000)).toBe(true);
      expect(await eventually(async () => (await statusOn(a, id)).status === 'failed', 15_000)).toBe(true);
      await read;
      const lastTry = (await recordOf(cluster, id)).stdout.text;
      expect(lastTry).toMatch(/^try 0\.\d+\n$/);
      const outputs = [...sse.matchAll(/event: output\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!).data as string);
      expect(outputs.slice(-1)).toEqual([lastTry]);
      expect(outputs.filter((o) => o.startsWith('try '))).toHaveLength(2);
    }, 40_000);

    it('between tries the record waits queued, not failed: a follower hears only the last end, and a stop in the backoff withdraws the retry', async () => {
      const id = (await startOn(a, { inlineCode: 'console.log("try"); throw new Error("boom")', options: { retries: 3, backoffMs: 3000 } })).sideExecutionId as string;
      const follow = clusterApi(b, `/v1/executions/${id}/logs?follow=true`).then((r) => r.text());
      const retryEvent = async () => (await jsonOf(b, `/v1/executions/${id}/events`)).events.find((e: { data: { retry?: boolean } }) => e.data.retry === true);
      expect(await eventually(async () => (await retryEvent()) !== undefined, 10_000)).toBe(true);
      expect((await retryEvent()).data).toMatchObject({ status: 'queued', error: { message: expect.stringContaining('boom') } });
      expect((await statusOn(a, id)).status).toBe('queued');
      const began = Date.now();
      expect(await stopOn(b, id)).toMatchObject({ success: true, status: 'stopped' });
      expect(Date.now() - began).toBeLessThan(2000); // within the backoff
      const sse = await follow;
      expect(sse).toMatch(/event: end\ndata: .*"status":"stopped"/);
      expect(sse).not.toMatch(/"status":"failed"/);
      await sleep(3500); // past the backoff: no retry ran
      expect((await transitions(a, id)).filter((s) => s === 'running')).toHaveLength(1);
      expect(await statusOn(a, id)).toMatchObject({ status: 'stopped', stopReason: 'user', output: 'try\n' });
    }, 40_000);
  });

  describe('cluster faults: a queued record whose job is gone', () => {
    let cluster: TestCluster | undefined;
    beforeAll(async () => {
      cluster = await startCluster({ queue: await redisDb(6), servers: 1, workers: 0, serverArgs: ['--loss-ms', '1000'] });
    }, 60_000);
    afterAll(() => cluster?.close(), 60_000);
    /** Runs `test` on the server with the queue of a tag no worker serves until the test adds one. */
    const onTag = async (tag: string, test: (queue: Queue, server: TestServer) => Promise<void>) => {
      const queue = new Queue(queueName([tag]), { connection: redisOptions(cluster!.queue) as ConnectionOptions, prefix: QUEUE_PREFIX });
      try {
        await test(queue, cluster!.servers[0]!);
      } finally {
        await queue.close();
      }
    };
    /** Takes the job out of the queue, as when its server dies between the record and the job, or Redis loses it; returns it for a late add. */
    const takeJob = async (queue: Queue, id: string) => {
      const job = (await queue.getJob(id))!;
      await job.remove();
      return { add: () => queue.add(job.name, job.data, job.opts) };
    };
    /**
     * A worker serving `tag` comes: the job under the id is the tombstone, which it
     * completes, and the record keeps its end (never run: no `running` in its history).
     */
    const neverRuns = async (queue: Queue, tag: string, id: string, end: Record<string, unknown>) => {
      await cluster!.addWorker(`w-${tag}`, ['--tags', tag]);
      expect(await eventually(async () => (await queue.getJob(id))?.finishedOn !== undefined, 10_000)).toBe(true);
      const job = (await queue.getJob(id))!;
      expect([job.data, job.returnvalue]).toEqual([{ tombstone: true }, 'tombstone']);
      const server = cluster!.servers[0]!;
      expect(await statusOn(server, id)).toMatchObject(end);
      expect(await transitions(server, id)).not.toContain('running');
    };

    it('is recorded supervisor_lost, not before six loss bounds; one whose job still waits stays queued; its job added later never runs', async () => {
      await onTag('swept', async (queue, server) => {
        const created = Date.now();
        const orphan = (await startOn(server, { inlineCode: 'return 1', options: { tags: ['swept'] } })).sideExecutionId as string;
        const waiting = (await startOn(server, { inlineCode: 'return 2', options: { tags: ['swept'] } })).sideExecutionId as string;
        expect([(await statusOn(server, orphan)).status, (await statusOn(server, waiting)).status]).toEqual(['queued', 'queued']);
        const late = await takeJob(queue, orphan);
        expect(await eventually(async () => (await statusOn(server, orphan)).status === 'failed', 20_000, 200)).toBe(true);
        expect(Date.now() - created).toBeGreaterThanOrEqual(6000);
        expect((await statusOn(server, orphan)).stopReason).toBe('supervisor_lost');
        expect((await statusOn(server, waiting)).status).toBe('queued');
        expect((await stopOn(server, waiting)).status).toBe('stopped');
        // Its start's add arrives only now (it waited out a Redis reconnection): BullMQ ignores it.
        await late.add();
        await neverRuns(queue, 'swept', orphan, { status: 'failed', stopReason: 'supervisor_lost' });
      });
    }, 60_000);

    it('a stop of a record whose job is not there answers stopped at once; the job, added after the stop, never runs', async () => {
      await onTag('late', async (queue, server) => {
        const id = (await startOn(server, { inlineCode: 'return 1', options: { tags: ['late'] } })).sideExecutionId as string;
        const late = await takeJob(queue, id);
        const began = Date.now();
        expect(await stopOn(server, id)).toMatchObject({ success: true, status: 'stopped' });
        expect(Date.now() - began).toBeLessThan(1000); // neither a wait for the job nor the sweep (six loss bounds: 6 s here)
        await late.add();
        await neverRuns(queue, 'late', id, { status: 'stopped', stopReason: 'user' });
        expect((await recordOf(cluster!, id)).worker).toBeUndefined();
      });
    }, 30_000);

    it('concurrent stops of a record whose job is not there share one outcome', async () => {
      await onTag('nowhere', async (queue, server) => {
        const id = (await startOn(server, { inlineCode: 'return 1', options: { tags: ['nowhere'] } })).sideExecutionId as string;
        await takeJob(queue, id);
        const answers = await Promise.all(Array.from({ length: 20 }, () => stopOn(server, id)));
        // A stop arriving once the end is written finds it ended (already_stopped): the same end.
        expect(answers.filter((a) => a.success !== true || !['stopped', 'already_stopped'].includes(a.status))).toEqual([]);
        expect(answers.some((a) => a.status === 'stopped')).toBe(true);
        expect(new Set(answers.map((a) => a.stoppedAt)).size).toBe(1);
        expect((await transitions(server, id)).filter((s) => s === 'stopped')).toHaveLength(1);
      });
    }, 30_000);

    it('stops whose end PostgreSQL refuses answer the error and leave the record queued; the stop sent again ends it at once', async () => {
      await onTag('refused', async (queue, server) => {
        const id = (await startOn(server, { inlineCode: 'return 1', options: { tags: ['refused'] } })).sideExecutionId as string;
        // A real refusal by PostgreSQL, between the stop's read of the record and its write.
        await clusterSql(cluster!, `CREATE FUNCTION refuse_stop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`);
        await clusterSql(cluster!, `CREATE TRIGGER refuse_stop BEFORE UPDATE ON executions FOR EACH ROW WHEN (NEW.id = '${id}') EXECUTE FUNCTION refuse_stop()`);
        try {
          // Concurrent stops: the one that claimed the end releases it as it fails, and each other one then tries in turn.
          const refused = await Promise.all(Array.from({ length: 5 }, () => stopOn(server, id)));
          expect(refused.map((r) => [r.success, r.code, r.error])).toEqual(Array(5).fill([false, 'STORE_ERROR', expect.stringContaining('refused by the test')]));
          expect((await statusOn(server, id)).status).toBe('queued');
        } finally {
          await clusterSql(cluster!, 'DROP TRIGGER refuse_stop ON executions');
          await clusterSql(cluster!, 'DROP FUNCTION refuse_stop()');
        }
        const began = Date.now();
        expect(await stopOn(server, id)).toMatchObject({ success: true, status: 'stopped' });
        expect(Date.now() - began).toBeLessThan(1000);
        await neverRuns(queue, 'refused', id, { status: 'stopped', stopReason: 'user' });
      });
    }, 30_000);
  });

  describe('cluster faults: Redis restarted', () => {
    let redis: OwnRedis | undefined;
    let cluster: TestCluster | undefined;
    beforeAll(async () => {
      redis = await ownRedis(await freePort());
      cluster = await startCluster({ queue: redis.url, servers: 2, workers: 1, project: (dir) => void writeCodeboltWsBlock(dir) });
    }, 60_000);
    afterAll(async () => {
      await cluster?.close();
      await redis?.close();
    }, 60_000);
    /** Every subscriber's connection goes; they reconnect within about 100 ms, and a message published meanwhile reaches none. How many went. */
    const killSubscribers = async (): Promise<number> => {
      const admin = new Redis(redis!.url, { lazyConnect: true });
      try {
        await admin.connect();
        return Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
      } finally {
        admin.disconnect();
      }
    };

    it('servers and workers reconnect: the execution under way completes once, its output whole and in order, and new starts run', async () => {
      const server = cluster!.servers[0]!;
      const code = 'for (let i = 0; i < 30; i++) { console.log("tick " + i); await new Promise((r) => setTimeout(r, 100)); } return "done";';
      const id = (await startOn(server, { inlineCode: code })).sideExecutionId as string;
      await untilOutput(server, id, 'tick 3');
      await redis!.restart();
      expect(await eventually(async () => (await statusOn(server, id)).status === 'completed', 20_000, 100)).toBe(true);
      const done = await statusOn(server, id);
      expect(done.result).toBe('done');
      expect((await transitions(server, id)).filter((s) => s === 'running')).toHaveLength(1);
      const log = await untilOutput(server, id, 'tick 29');
      expect(log).toBe(Array.from({ length: 30 }, (_, i) => `tick ${i}\n`).join(''));
      const next = await startOn(server, { inlineCode: 'return 2' });
      expect(next.success).toBe(true);
      expect(await eventually(async () => (await statusOn(server, next.sideExecutionId as string)).status === 'completed', 10_000)).toBe(true);
    }, 60_000);

    it('a stop published while the worker is not subscribed (its connection dropped) still reaches it', async () => {
      const server = cluster!.servers[0]!;
      const id = (await startOn(server, { inlineCode: TICKS })).sideExecutionId as string;
      await untilOutput(server, id, 'tick 1');
      expect(await killSubscribers()).toBeGreaterThan(0);
      const began = Date.now();
      expect(await stopOn(server, id)).toMatchObject({ success: true, status: 'stopped' });
      expect(Date.now() - began).toBeLessThan(5000);
    }, 30_000);

    it("a Codebolt-built block's completion relayed while the worker is not subscribed still ends it", async () => {
      const server = cluster!.servers[0]!;
      const socket = await RawSocket.open(server.wsUrl, server.apiKey);
      try {
        const se = (action: string, fields: Record<string, unknown>) => socket.request({ type: 'sideExecution', action, ...fields });
        const started = await se('startSideExecution', { actionBlockPath: '.codebolt/actionblocks/codebolt-ws', params: { mode: 'whenFile', file: 'go' } });
        expect(started.success, started.error).toBe(true);
        const id = started.sideExecutionId as string;
        await untilOutput(server, id, `invoked ${id}`);
        expect(await killSubscribers()).toBeGreaterThan(0);
        // The block completes at once, within the subscribers' reconnection (about 100 ms).
        fs.writeFileSync(path.join(cluster!.projectDir!, '.codebolt', 'actionblocks', 'codebolt-ws', 'go'), '');
        expect(await eventually(async () => (await se('getSideExecutionStatus', { sideExecutionId: id })).status === 'completed', 5000, 50)).toBe(true);
      } finally {
        socket.close();
      }
    }, 30_000);

    it('a pipeline item sent while the worker is not subscribed still reaches its task, in order', async () => {
      const server = cluster!.servers[0]!;
      const client = new RocketRideClient({ uri: server.url, auth: server.apiKey, env: {} });
      try {
        await client.connect();
        const { token } = await client.use({ pipeline: codeChain('return input.toUpperCase()') });
        expect((await client.send(token, 'before', {}, 'text/plain'))?.text).toEqual(['BEFORE\n\n']);
        expect(await killSubscribers()).toBeGreaterThan(0);
        const sent = ['one', 'two', 'three'].map((text) => client.send(token, text, {}, 'text/plain'));
        const replies = await Promise.race([Promise.all(sent), sleep(10_000).then(() => [])]);
        expect(replies.map((r) => r?.text)).toEqual([['ONE\n\n'], ['TWO\n\n'], ['THREE\n\n']]);
        await client.terminate(token);
      } finally {
        await client.disconnect();
      }
    }, 30_000);

    it("a reply between servers published while the asking server is not subscribed still reaches it", async () => {
      const [a, b] = cluster!.servers as [TestServer, TestServer];
      const clients = [a, b].map((server) => new RocketRideClient({ uri: server.url, auth: server.apiKey, env: {} }));
      try {
        const [onA, onB] = clients as [RocketRideClient, RocketRideClient];
        await Promise.all(clients.map((c) => c.connect()));
        const { token } = await onA.use({ pipeline: codeChain('await new Promise((r) => setTimeout(r, 800)); return input.toUpperCase();') });
        // B passes the send to A, which holds the task and answers once the item is done, 800 ms on.
        const sent = onB.send(token, 'late', {}, 'text/plain');
        await sleep(300);
        // Until after that, nobody stays subscribed for long: the answer finds B's channel empty.
        for (const until = Date.now() + 900; Date.now() < until; ) {
          await killSubscribers();
          await sleep(20);
        }
        const reply = await Promise.race([sent, sleep(10_000).then(() => ({ text: 'no answer within 10 s' }))]);
        expect(reply?.text).toEqual(['LATE\n\n']);
        await onA.terminate(token);
      } finally {
        await Promise.all(clients.map((c) => c.disconnect()));
      }
    }, 30_000);

    it('Redis away: a start is refused QUEUE_UNAVAILABLE within 5 s and leaves no record; once Redis is back, starts run', async () => {
      const server = cluster!.servers[0]!;
      const count = async () => Number((await clusterSql<{ n: string }>(cluster!, 'SELECT count(*) AS n FROM executions'))[0]!.n);
      const before = await count();
      await redis!.down();
      try {
        const began = Date.now();
        const refused = await startOn(server, { inlineCode: 'return 3' });
        expect([refused.success, refused.code], JSON.stringify(refused)).toEqual([false, 'QUEUE_UNAVAILABLE']);
        expect(refused.error).toMatch(/Redis did not answer within 5000 ms: the execution was not queued/);
        expect(Date.now() - began).toBeLessThan(15_000);
        expect(await count()).toBe(before);
      } finally {
        await redis!.up();
      }
      const next = await startOn(server, { inlineCode: 'return 4' });
      expect(next.success, JSON.stringify(next)).toBe(true);
      expect(await eventually(async () => (await statusOn(server, next.sideExecutionId as string)).status === 'completed', 20_000)).toBe(true);
      expect(await count()).toBe(before + 1);
    }, 60_000);
  });
}
