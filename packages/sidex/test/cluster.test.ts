// The cluster on loopback: a real Redis and PostgreSQL, 2 `sidex serve --queue`
// servers and 3 `sidex worker` processes. Every request goes to one server and
// is checked from the other.
import { SidexClient } from '@sidex/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMissing, redisDb, startCluster, type TestCluster } from './helpers/cluster.js';
import { clusterApi, jsonOf, recordOf, startOn, statusOn, stopOn, untilOutput } from './helpers/cluster-api.js';
import { codeChain } from './fixtures/pipelines.js';
import { eventually, survivors } from './helpers/sidex.js';
import type { TestServer } from './helpers/server.js';
import { serversFor } from './helpers/machine-needs.js';
import { growsHeap } from './fixtures/workloads.js';

const missing = clusterMissing();
const TICKS = 'for (let i = 0; ; i++) { console.log("tick " + i); await new Promise((r) => setTimeout(r, 100)); }';

if (serversFor('cluster', missing)) {
  describe('cluster: 2 servers, 3 workers', () => {
    let cluster: TestCluster;
    let a: TestServer;
    let b: TestServer;
    beforeAll(async () => {
      cluster = await startCluster({ queue: await redisDb(1), servers: 2, workers: 3, workerArgs: ['--concurrency', '2'], serverArgs: ['--max-queued', '3'] });
      [a, b] = cluster.servers as [TestServer, TestServer];
    }, 120_000);
    afterAll(() => cluster?.close(), 60_000);

    it('a start answers once the execution runs on a worker; the other server reads it, naming the worker', async () => {
      const started = await startOn(a, { inlineCode: 'console.log("on a worker"); await new Promise((r) => setTimeout(r, 200)); return 6 * 7' });
      expect([started.success, started.status]).toEqual([true, 'running']);
      const id = started.sideExecutionId as string;
      expect(await eventually(async () => (await statusOn(b, id)).status === 'completed', 10_000)).toBe(true);
      const done = await statusOn(b, id);
      expect([done.result, done.output]).toEqual([42, 'on a worker\n']);
      expect(done.worker).toMatch(/^w[123]$/);
      const listed = await jsonOf(b, '/v1/executions?limit=50');
      expect(listed.executions.map((e: { sideExecutionId: string }) => e.sideExecutionId)).toContain(id);
    });

    it('a stop sent to the other server reaches the owning worker: graceful, output kept, answered when the tree is gone', async () => {
      const started = await startOn(a, { inlineCode: TICKS });
      const id = started.sideExecutionId as string;
      await untilOutput(b, id, 'tick 2');
      const stopped = await stopOn(b, id, { graceMs: 2000 });
      expect([stopped.success, stopped.status, stopped.forced]).toEqual([true, 'stopped', false]);
      expect(stopped.output).toContain('tick 0\ntick 1\ntick 2\n');
      const record = await recordOf(cluster, id);
      expect(record.marker).toBeTruthy();
      expect(survivors(record.marker)).toEqual([]);
      expect((await statusOn(a, id)).status).toBe('stopped');
      // Stopping it again from either server: already stopped.
      expect((await stopOn(a, id)).status).toBe('already_stopped');
    });

    it("an execution's processes, listed through the other server by the worker holding it; none once it has ended", async () => {
      const code = "require('node:child_process').spawn('sleep', ['600'], { stdio: 'ignore' }); console.log('spawned'); await new Promise(() => {})";
      const id = (await startOn(a, { inlineCode: code })).sideExecutionId as string;
      await untilOutput(b, id, 'spawned');
      type Listed = { success: boolean; status: string; processes: Array<{ pid: number; ppid: number; command: string; memoryBytes: number }> };
      let listed: Listed | undefined;
      expect(await eventually(async () => ((listed = (await jsonOf(b, `/v1/executions/${id}/processes`)) as Listed), listed.processes.some((p) => p.command === 'sleep 600')), 10_000)).toBe(true);
      expect([listed!.success, listed!.status]).toEqual([true, 'running']);
      const sleep = listed!.processes.find((p) => p.command === 'sleep 600')!;
      // Its parent, the runtime, is listed too: the whole tree, as its worker's machine sees it.
      expect(listed!.processes.some((p) => p.pid === sleep.ppid)).toBe(true);
      expect(sleep.memoryBytes).toBeGreaterThan(0);
      expect((await stopOn(a, id, { graceMs: 2000 })).status).toBe('stopped');
      const after = (await jsonOf(b, `/v1/executions/${id}/processes`)) as Listed;
      expect([after.status, after.processes]).toEqual(['stopped', []]);
    });

    it('concurrent stops from both servers share one outcome', async () => {
      const id = (await startOn(b, { inlineCode: TICKS })).sideExecutionId as string;
      await untilOutput(a, id, 'tick 1');
      const [fromA, fromB] = await Promise.all([stopOn(a, id, { graceMs: 2000 }), stopOn(b, id, { graceMs: 2000 })]);
      expect([fromA.status, fromB.status]).toEqual(['stopped', 'stopped']);
      expect(fromA.stoppedAt).toBe(fromB.stoppedAt);
      expect(fromA.output).toBe(fromB.output);
      const history = await jsonOf(a, `/v1/executions/${id}/events`);
      const ends = history.events.filter((e: { type: string; data: { status?: string } }) => e.type === 'status' && e.data.status === 'stopped');
      expect(ends).toHaveLength(1);
    });

    it('live output on the other server, in order and without gaps: SSE logs follow and a Codebolt subscription', async () => {
      const lines = 300;
      const client = new SidexClient({ url: b.url, apiKey: b.apiKey });
      try {
        const seen: string[] = [];
        const off = client.on('output', (e) => seen.push(e.data));
        await client.waitForReady();
        const started = await startOn(a, { inlineCode: `for (let i = 0; i < ${lines}; i++) { console.log("line " + i); if (i % 50 === 0) await new Promise((r) => setTimeout(r, 20)); }` });
        const id = started.sideExecutionId as string;
        const follow = await clusterApi(b, `/v1/executions/${id}/logs?follow=true`);
        const sse = await follow.text();
        const followed = [...sse.matchAll(/^event: output\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1]!).data).join('');
        const expected = Array.from({ length: lines }, (_, i) => `line ${i}\n`).join('');
        expect(followed).toBe(expected);
        expect(sse).toMatch(/event: end\ndata: .*"status":"completed"/);
        expect(await eventually(() => seen.join('').includes(`line ${lines - 1}\n`), 5000)).toBe(true);
        expect(seen.join('')).toBe(expected); // subscribed before the start: from its first line
        off();
        // Read again after the end (no follow): the full log, from any server.
        const ndjson = await (await clusterApi(a, `/v1/executions/${id}/logs`)).text();
        expect(ndjson.trim().split('\n').map((l) => JSON.parse(l).data).join('')).toBe(expected);
      } finally {
        client.close();
      }
    });

    it('the Codebolt dialect through the cluster: start on one server, status and stop on the other', async () => {
      const [ca, cb] = [a, b].map((s) => new SidexClient({ url: s.url, apiKey: s.apiKey }));
      try {
        const started = await ca!.sideExecution.startWithCode(TICKS);
        if (!started.success) throw new Error(started.error);
        const id = started.sideExecutionId;
        expect(await eventually(async () => (await untilOutput(b, id, 'tick 1', 1)) !== undefined, 10_000)).toBe(true);
        const stopped = await cb!.sideExecution.stop(id);
        expect(stopped.success && stopped.status).toBe('stopped');
        const status = await cb!.sideExecution.getStatus(id);
        expect(status.success && status.status).toBe('stopped');
      } finally {
        ca!.close();
        cb!.close();
      }
    });

    it('resume through the cluster: the new execution starts from the last checkpoint, on any worker', async () => {
      const code = 'const from = ctx.resumeFrom ?? 0; ctx.checkpoint(from + 1); if (from === 0) { for (;;) await new Promise((r) => setTimeout(r, 50)); } return from;';
      const first = (await startOn(a, { inlineCode: code })).sideExecutionId as string;
      await eventually(async () => (await recordOf(cluster, first)).checkpoint === 1, 10_000);
      await stopOn(b, first);
      const resumed = await jsonOf(b, `/v1/executions/${first}/resume`, {});
      expect(resumed.success).toBe(true);
      const id = resumed.sideExecutionId as string;
      expect(await eventually(async () => (await statusOn(a, id)).status === 'completed', 10_000)).toBe(true);
      const done = await statusOn(a, id);
      expect([done.result, done.resumedFrom]).toEqual([1, first]);
    });

    it('a running execution that checkpoints all the time still shows its output on the other server', async () => {
      const code = 'console.log("ready"); for (let i = 0; ; i++) { ctx.checkpoint({ step: i }); await new Promise((r) => setTimeout(r, 10)); }';
      const id = (await startOn(a, { inlineCode: code })).sideExecutionId as string;
      // Within the once-a-second live write, and still there once many checkpoints have been written after it.
      expect(await eventually(async () => String((await statusOn(b, id)).output).includes('ready'), 5000)).toBe(true);
      await eventually(async () => ((await recordOf(cluster, id)).checkpoint as { step: number }).step >= 150, 10_000);
      const later = await statusOn(b, id);
      expect([later.status, later.output]).toEqual(['running', 'ready\n']);
      await stopOn(b, id, { force: true });
    });

    it('every worker busy: starts answer queued with their place, higher priority first; a queued start stopped from the other server never runs', async () => {
      // Earlier tests' executions hold no slot any more (on a loaded machine their ends can lag).
      const active = async () => ((await jsonOf(a, '/v1/executions?status=queued,starting,running,stopping&limit=100')).executions as unknown[]).length;
      expect(await eventually(async () => (await active()) === 0, 30_000)).toBe(true);
      // 3 workers x 2 slots, all taken.
      const busy = await Promise.all(Array.from({ length: 6 }, () => startOn(a, { inlineCode: TICKS })));
      expect(busy.map((r) => r.status)).toEqual(Array(6).fill('running'));
      const low = await startOn(a, { inlineCode: 'return "low"' });
      const withdrawn = await startOn(b, { inlineCode: 'return "withdrawn"' });
      const high = await startOn(a, { inlineCode: 'return "high"', options: { priority: 50 } });
      expect([low.status, withdrawn.status, high.status]).toEqual(['queued', 'queued', 'queued']);
      // Its place when it answered: the high-priority start went ahead of both.
      expect([low.queuePosition, withdrawn.queuePosition, high.queuePosition]).toEqual([1, 2, 1]);
      // --max-queued 3: a fourth waiting start is refused, and leaves no record.
      const total = async () => (await jsonOf(a, '/v1/executions/counts')) as Record<string, number>;
      const before = await total();
      const full = await clusterApi(b, '/v1/executions', { method: 'POST', body: JSON.stringify({ inlineCode: 'return "refused"' }) });
      expect(full.status).toBe(503);
      expect(await full.json()).toMatchObject({ code: 'QUEUE_FULL' });
      expect(await total()).toEqual(before);
      const stopped = await stopOn(a, withdrawn.sideExecutionId as string);
      expect([stopped.success, stopped.status]).toEqual([true, 'stopped']);
      // One slot frees: the high-priority start runs first, then the low one.
      await stopOn(b, busy[0]!.sideExecutionId as string, { force: true });
      expect(await eventually(async () => (await statusOn(b, high.sideExecutionId as string)).status === 'completed', 10_000)).toBe(true);
      await stopOn(b, busy[1]!.sideExecutionId as string, { force: true });
      expect(await eventually(async () => (await statusOn(b, low.sideExecutionId as string)).status === 'completed', 10_000)).toBe(true);
      const [h, l] = [await recordOf(cluster, high.sideExecutionId as string), await recordOf(cluster, low.sideExecutionId as string)];
      expect(h.startedAt!).toBeLessThan(l.startedAt!);
      expect((await statusOn(b, withdrawn.sideExecutionId as string)).status).toBe('stopped');
      expect((await recordOf(cluster, withdrawn.sideExecutionId as string)).worker).toBeUndefined();
      await Promise.all(busy.slice(2).map((r) => stopOn(a, r.sideExecutionId as string, { force: true })));
    });

    it('a server with --max-queued 0 runs starts while a worker has a free slot (it refused every start)', async () => {
      const zero = await cluster.addServer(['--max-queued', '0']);
      const ran = await startOn(zero, { inlineCode: 'return "ran"' });
      expect(ran, JSON.stringify(ran)).toMatchObject({ success: true });
      expect(await eventually(async () => (await statusOn(zero, ran.sideExecutionId as string)).status === 'completed', 10_000)).toBe(true);
    });

    it('tags: a start requiring a tag runs on a worker that serves it', async () => {
      await cluster.addWorker('gpu-worker', ['--tags', 'gpu,big', '--concurrency', '1']);
      const started = await startOn(b, { inlineCode: 'return 1', options: { tags: ['gpu'] } });
      expect(started.status === 'running' || started.status === 'completed' || started.status === 'queued').toBe(true);
      const id = started.sideExecutionId as string;
      expect(await eventually(async () => (await statusOn(a, id)).status === 'completed', 10_000)).toBe(true);
      expect((await statusOn(a, id)).worker).toBe('gpu-worker');
    });

    it("a start's default limits are its worker's: a heap past a worker's --memory-limit-mb 64 ends MEMORY_LIMIT; a start's own limit wins", async () => {
      await cluster.addWorker('small-worker', ['--tags', 'small', '--concurrency', '1', '--memory-limit-mb', '64']);
          const ending = async (options: Record<string, unknown>) => {
        const started = await startOn(a, { inlineCode: growsHeap, options: { tags: ['small'], ...options } });
        expect(started.success, JSON.stringify(started)).toBe(true);
        const id = started.sideExecutionId as string;
        expect(await eventually(async () => (await statusOn(b, id)).status === 'failed', 20_000)).toBe(true);
        const status = await statusOn(b, id);
        return [status.worker, status.failure?.code, status.failure?.message];
      };
      expect(await ending({})).toEqual(['small-worker', 'MEMORY_LIMIT', expect.stringContaining('memory limit of 67108864 bytes')]);
      expect(await ending({ memoryLimitMb: 128 })).toEqual(['small-worker', 'MEMORY_LIMIT', expect.stringContaining('memory limit of 134217728 bytes')]);
    });

    it('a RocketRide pipeline task runs on a worker: start, items and terminate through the server that started it', async () => {
      const call = async (method: string, route: string, body?: string, type = 'application/json'): Promise<any> =>
        (await fetch(`${a.url}${route}`, { method, headers: { authorization: `Bearer ${a.apiKey}`, ...(body !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body } : {}) })).json();
      const started = await call('POST', '/task', JSON.stringify(codeChain('return input.toUpperCase()')));
      expect(started.status, JSON.stringify(started)).toBe('OK');
      const token = started.data.token as string;
      const item = await call('POST', `/task/data?token=${token}`, 'through the cluster', 'text/plain');
      expect(item).toMatchObject({ status: 'OK', data: { objectsRequested: 1, objectsCompleted: 1 } });
      expect(JSON.stringify(item.data.objects)).toContain('THROUGH THE CLUSTER');
      expect((await call('GET', `/task?token=${token}`)).data).toMatchObject({ status: 'Running', completedCount: 1 });
      const tasks = await jsonOf(b, '/v1/executions?type=task');
      const execution = tasks.executions.find((e: { status: string }) => e.status === 'running');
      // Any worker of the cluster: the tag test's gpu-worker serves the untagged queue too.
      expect(cluster.workers.map((w) => w.name)).toContain(execution?.worker);
      expect(await call('DELETE', `/task?token=${token}`)).toEqual({ status: 'OK', data: {} });
      expect((await call('GET', `/task?token=${token}`)).data).toMatchObject({ status: 'Stopped', completed: true });
      expect(await eventually(async () => (await statusOn(b, execution.sideExecutionId)).status === 'stopped' || (await statusOn(b, execution.sideExecutionId)).status === 'completed', 10_000)).toBe(true);
    });

    it('a command runs on a worker as inline code does (the rest of commands: cluster-commands.test.ts)', async () => {
      const started = await startOn(a, { command: ['echo', 'hi'] });
      expect(started.success).toBe(true);
      const id = started.sideExecutionId as string;
      expect(await eventually(async () => (await statusOn(b, id)).status === 'completed', 10_000)).toBe(true);
      const done = await statusOn(b, id);
      expect(done).toMatchObject({ output: 'hi\n', exitCode: 0, command: ['echo', 'hi'] });
      // Any worker of the cluster: the tag test's gpu-worker serves the untagged queue too.
      expect(cluster.workers.map((w) => w.name)).toContain(done.worker);
    });

    it('a server says its executions run on the workers (/healthz) and counts the cluster\'s in /metrics', async () => {
      const health = await (await fetch(`${b.url}/healthz`)).json();
      expect(health).toMatchObject({ isolation: { mode: 'workers' } });
      const id = (await startOn(a, { inlineCode: 'return 1' })).sideExecutionId as string;
      expect(await eventually(async () => (await statusOn(b, id)).status === 'completed', 10_000)).toBe(true);
      const metrics = await (await clusterApi(b, '/metrics')).text();
      expect(metrics).toMatch(/^sidex_executions_ended_total\{kind="inline",status="completed"\} [1-9]/m);
      expect(metrics).not.toMatch(/sidex_warm_pool_idle/); // it has no pool of its own
    });

    it('bad scheduling options get a clear error naming the field', async () => {
      const bad = await startOn(a, { inlineCode: 'return 1', options: { priority: 1000 } });
      expect([bad.success, bad.code]).toEqual([false, 'INVALID_ARGUMENT']);
      expect(bad.error).toMatch(/options\.priority.*at most 100/);
      const tags = await startOn(a, { inlineCode: 'return 1', options: { tags: ['no spaces'] } });
      expect([tags.success, tags.code]).toEqual([false, 'INVALID_ARGUMENT']);
      expect(tags.error).toMatch(/options\.tags/);
      const missingId = await stopOn(b, 'side_0_00000000');
      expect([missingId.success, missingId.code]).toEqual([false, 'EXECUTION_NOT_FOUND']);
    });
  });
}
