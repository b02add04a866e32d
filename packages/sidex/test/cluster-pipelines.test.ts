// Pipeline tasks in a cluster: a real Redis and PostgreSQL, 2 `sidex serve
// --queue` servers and 2 workers. A task is started on one server and used
// from the other, through RocketRide's client, raw DAP frames and `/task`
// HTTP; then the server holding a task is killed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RocketRideClient, TaskState, type DapMessage } from '@sidex/client/rocketride';
import { clusterMissing, redisDb, startCluster, type TestCluster } from './helpers/cluster.js';
import { jsonOf, statusOn } from './helpers/cluster-api.js';
import { codeChain, forever, takes } from './fixtures/pipelines.js';
import { RawDap } from './helpers/raw-dap.js';
import { eventually } from './helpers/sidex.js';
import { spawnServer, type TestServer } from './helpers/spawn-server.js';
import { serversFor } from './helpers/machine-needs.js';

const missing = clusterMissing();
const LOSS_MS = 4000;

type Json = Record<string, any>;

/** A `/task` route on `server`: the reply's JSON. */
async function task(server: TestServer, method: string, route: string, body?: string, type = 'application/json'): Promise<Json> {
  const reply = await fetch(`${server.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${server.apiKey}`, ...(body !== undefined ? { 'content-type': type } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  return (await reply.json()) as Json;
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; details?: Json }> {
  try {
    await promise;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

if (serversFor('cluster pipeline', missing)) {
  describe('cluster pipelines: a task held by one server, used from any', () => {
    let cluster: TestCluster;
    let a: TestServer;
    let b: TestServer;
    const clients: RocketRideClient[] = [];
    const sockets: RawDap[] = [];
    async function client(server: TestServer, onEvent?: (e: DapMessage) => void): Promise<RocketRideClient> {
      const c = new RocketRideClient({ uri: server.url, auth: server.apiKey, env: {}, ...(onEvent ? { onEvent } : {}) });
      clients.push(c);
      await c.connect();
      return c;
    }
    async function dap(server: TestServer): Promise<RawDap> {
      const socket = await RawDap.authed(server.url, server.apiKey);
      sockets.push(socket);
      return socket;
    }
    // The account's files (rrext_store), shared by both servers as a volume would be.
    const fileStore = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-file-store-'));
    beforeAll(async () => {
      cluster = await startCluster({
        queue: await redisDb(4),
        servers: 2,
        workers: 2,
        workerArgs: ['--concurrency', '4', '--loss-ms', String(LOSS_MS)],
        serverArgs: ['--loss-ms', String(LOSS_MS), '--file-store', fileStore],
      });
      [a, b] = cluster.servers as [TestServer, TestServer];
    }, 120_000);
    afterAll(async () => {
      sockets.forEach((s) => s.close());
      await Promise.all(clients.map((c) => c.disconnect()));
      await cluster?.close();
      fs.rmSync(fileStore, { recursive: true, force: true });
    }, 60_000);

    it('rrext_store with --file-store: a file written through A is read through B', async () => {
      const [onA, onB] = [await dap(a), await dap(b)];
      const { handle } = (await onA.request('rrext_store', { subcommand: 'fs_open', path: 'shared/notes.txt', mode: 'w' })).body as Json;
      expect((await onA.binary('rrext_store', { subcommand: 'fs_write', handle }, Buffer.from('written on A'))).body).toEqual({ bytesWritten: 12 });
      expect((await onA.request('rrext_store', { subcommand: 'fs_close', handle, mode: 'w' })).success).toBe(true);
      expect((await onB.request('rrext_store', { subcommand: 'fs_stat', path: 'shared/notes.txt' })).body).toMatchObject({ exists: true, type: 'file', size: 12 });
      const read = (await onB.request('rrext_store', { subcommand: 'fs_open', path: 'shared/notes.txt', mode: 'r' })).body as Json;
      const data = (await onB.request('rrext_store', { subcommand: 'fs_read', handle: read.handle, offset: 0 })).arguments as Json;
      expect(Buffer.from(data.data).toString()).toBe('written on A');
      await onB.request('rrext_store', { subcommand: 'fs_close', handle: read.handle, mode: 'r' });
      expect(fs.readFileSync(path.join(fileStore, 'shared', 'notes.txt'), 'utf8')).toBe('written on A');
    });

    it('use on A; send, pipe, status, monitor and terminate from B through the RocketRide client', async () => {
      const onA = await client(a);
      const events: DapMessage[] = [];
      const onB = await client(b, (e) => void events.push(e));
      const { token } = await onA.use({ pipeline: codeChain('return input.toUpperCase()') });
      await onB.addMonitor({ token }, ['summary', 'task', 'flow']);
      // The current state at once, from A.
      const statusOf = (e: DapMessage) => (e.event === 'apaevt_status_update' ? (e.body as Json) : undefined);
      expect(await eventually(() => events.some((e) => statusOf(e)?.token === token && statusOf(e)?.state === TaskState.RUNNING))).toBe(true);

      expect((await onB.send(token, 'from b', {}, 'text/plain'))?.text).toEqual(['FROM B\n\n']);
      const pipe = await onB.pipe(token, { name: 'piped' }, 'text/plain');
      await pipe.open();
      await pipe.write(new TextEncoder().encode('pi'));
      await pipe.write(new TextEncoder().encode('ped'));
      expect((await pipe.close())?.text).toEqual(['PI\n\nPED\n\n']); // text goes on write by write, as on one server
      // An item sent through A: B's monitor hears its flow and the counts.
      expect((await onA.send(token, 'from a', {}, 'text/plain'))?.text).toEqual(['FROM A\n\n']);
      expect(await eventually(() => events.some((e) => statusOf(e)?.completedCount === 3), 10_000)).toBe(true);
      expect(events.filter((e) => e.event === 'apaevt_flow').map((e) => (e.body as Json).op)).toEqual(expect.arrayContaining(['begin', 'end']));
      expect(await onB.getTaskStatus(token)).toMatchObject({ state: TaskState.RUNNING, completedCount: 3, token });

      await onB.terminate(token);
      expect(await onB.getTaskStatus(token)).toMatchObject({ state: TaskState.CANCELLED, status: 'Stopped', completed: true });
      expect(await onA.getTaskStatus(token)).toMatchObject({ state: TaskState.CANCELLED, completedCount: 3 });
      expect(await eventually(() => events.some((e) => statusOf(e)?.state === TaskState.CANCELLED), 10_000)).toBe(true);
      // Ended: from either server, the same refusals as on one machine.
      expect((await failure(onB.terminate(token))).code).toBe('TASK_TERMINATED');
      expect((await failure(onB.send(token, 'late', {}, 'text/plain'))).code).toBe('TASK_NOT_RUNNING');
    });

    it('raw DAP frames on B for a task of A: binary writes, abandon, status, and an error in the owner\'s words', async () => {
      const onA = await dap(a);
      const onB = await dap(b);
      const used = await onA.request('execute', { pipeline: codeChain('return input + "!"'), threads: 2 });
      expect(used.success, JSON.stringify(used)).toBe(true);
      const token = used.body.token as string;
      const open = await onB.request('rrext_process', { subcommand: 'open', object: { name: 'raw' }, mimeType: 'text/plain' }, { token });
      expect(open).toMatchObject({ success: true, body: { pipe_id: expect.any(Number) } });
      const pipe_id = open.body.pipe_id as number;
      expect(await onB.binary('rrext_process', { subcommand: 'write', pipe_id, token }, Buffer.from('bytes ü'))).toMatchObject({ success: true });
      const closed = await onB.request('rrext_process', { subcommand: 'close', pipe_id }, { token });
      expect(closed).toMatchObject({ success: true, body: { text: ['bytes ü!\n\n'] } });
      // A pipe B's client gives up frees its thread on A.
      const second = await onB.request('rrext_process', { subcommand: 'open', mimeType: 'text/plain' }, { token });
      expect((await onB.request('rrext_process', { subcommand: 'abandon', pipe_id: second.body.pipe_id }, { token })).success).toBe(true);
      // The owner's error, unchanged: code, message naming the field, details.
      const wrongPipe = await onB.request('rrext_process', { subcommand: 'close', pipe_id: 999 }, { token });
      expect(wrongPipe).toMatchObject({ success: false, code: 'PIPE_NOT_FOUND', details: { field: 'pipe_id', pipe_id: 999, token } });
      expect(wrongPipe.message).toContain('pipe_id:');
      const status = await onB.request('rrext_get_task_status', {}, { token });
      expect(status).toMatchObject({ success: true, body: { token, completedCount: 1, state: TaskState.RUNNING } });
      const pipeline = await onB.request('rrext_get_pipeline', {}, { token });
      expect(pipeline.body.pipeline).toMatchObject({ source: 'webhook_1' });
      expect(await onB.request('terminate', { drainMs: 0 }, { token })).toMatchObject({ success: true, body: {} });
    });

    it('/task on B for a task of A: status, items (raw and multipart), terminate', async () => {
      const started = await task(a, 'POST', '/task', JSON.stringify(codeChain('return input.toUpperCase()')));
      expect(started.status, JSON.stringify(started)).toBe('OK');
      const token = started.data.token as string;
      const item = await task(b, 'POST', `/task/data?token=${token}`, 'through b', 'text/plain');
      expect(item).toMatchObject({ status: 'OK', data: { objectsRequested: 1, objectsCompleted: 1 } });
      expect(JSON.stringify(item.data.objects)).toContain('THROUGH B');
      const form = new FormData();
      form.append('first', 'one');
      form.append('second', new Blob(['two'], { type: 'text/plain' }), 'two.txt');
      const parts = (await (await fetch(`${b.url}/task/data?token=${token}`, { method: 'POST', headers: { authorization: `Bearer ${b.apiKey}` }, body: form })).json()) as Json;
      expect(parts).toMatchObject({ status: 'OK', data: { objectsRequested: 2, objectsCompleted: 2 } });
      expect((await task(b, 'GET', `/task?token=${token}`)).data).toMatchObject({ status: 'Running', completedCount: 3 });
      expect(await task(b, 'DELETE', `/task?token=${token}`)).toEqual({ status: 'OK', data: {} });
      expect((await task(b, 'GET', `/task?token=${token}`)).data).toMatchObject({ status: 'Stopped', completed: true, completedCount: 3 });
      expect((await task(a, 'GET', `/task?token=${token}`)).data).toMatchObject({ status: 'Stopped', completed: true });
    });

    it('useExisting from B finds the task A runs, by token and by project and source: one task, listed by both servers', async () => {
      const projectId = 'c1a55e00-0000-4000-a000-000000000001';
      const pipeline = { ...codeChain('return input'), project_id: projectId };
      const onA = await client(a);
      const onB = await client(b);
      const first = await onA.use({ pipeline, token: 'shared-1' });
      const byToken = await Promise.all(Array.from({ length: 4 }, () => onB.use({ pipeline, token: 'shared-1', useExisting: true })));
      expect(new Set(byToken.map((u) => u.id))).toEqual(new Set([first.id]));
      const bySource = await onB.use({ pipeline, useExisting: true });
      expect([bySource.id, bySource.token]).toEqual([first.id, 'shared-1']);
      expect(await onB.getTaskToken({ projectId, source: 'webhook_1' })).toBe('shared-1');
      // Without useExisting, a token running on A is taken, as on one server.
      const taken = await failure(onB.use({ pipeline, token: 'shared-1' }));
      expect([taken.code, taken.message]).toEqual(['TASK_EXISTS', expect.stringContaining('shared-1')]);
      for (const c of [onA, onB]) expect((await c.getTasks()).filter((t) => t.token === 'shared-1').map((t) => t.id)).toEqual([first.id]);
      // A monitor by project and source on B gets the state of A's task, not "Not running".
      const events: DapMessage[] = [];
      const watcher = await client(b, (e) => void events.push(e));
      await watcher.addMonitor({ projectId, source: 'webhook_1' }, ['summary']);
      expect(await eventually(() => events.some((e) => e.event === 'apaevt_status_update'))).toBe(true);
      expect(events.find((e) => e.event === 'apaevt_status_update')?.body).toMatchObject({ token: 'shared-1', state: TaskState.RUNNING });
      // One task execution runs in the whole cluster: that one.
      const tasks = await jsonOf(b, '/v1/executions?type=task&limit=100');
      expect(tasks.executions.filter((e: Json) => e.status === 'running').map((e: Json) => e.sideExecutionId)).toEqual([first.id]);
      // restart from B: A runs a new task under the same token.
      await onB.restart({ token: 'shared-1', projectId, source: 'webhook_1', pipeline });
      const restarted = (await onB.getTasks()).filter((t) => t.token === 'shared-1');
      expect(restarted).toHaveLength(1);
      expect(restarted[0]!.id).not.toBe(first.id);
      expect((await onB.send('shared-1', 'after restart', {}, 'text/plain'))?.text).toEqual(['after restart\n\n']);
      await onB.terminate('shared-1');
    });

    it('concurrent useExisting of one new token from both servers starts one task', async () => {
      const onA = await client(a);
      const onB = await client(b);
      const pipeline = codeChain('return input');
      const used = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => (i % 2 ? onA : onB).use({ pipeline, token: 'both-at-once', useExisting: true })));
      expect(new Set(used.map((u) => u.id)).size).toBe(1);
      await onA.terminate('both-at-once');
    });

    it('a monitor of every task (\'*\') on B lists and follows the tasks of A', async () => {
      const onA = await client(a);
      const events: DapMessage[] = [];
      const { token } = await onA.use({ pipeline: codeChain('return input') });
      const watcher = await client(b, (e) => void events.push(e));
      await watcher.addMonitor({ token: '*' }, ['task', 'summary']);
      const isRunning = (e: DapMessage) => e.event === 'apaevt_task' && (e.body as Json).action === 'running';
      expect(await eventually(() => events.some(isRunning))).toBe(true);
      expect(events.filter(isRunning)).toHaveLength(1); // one event listing every server's tasks
      expect(((events.find(isRunning)!.body as Json).tasks as Json[]).map((t) => t.token)).toContain(token);
      const second = await onA.use({ pipeline: codeChain('return input') });
      expect(await eventually(() => events.some((e) => e.event === 'apaevt_task' && (e.body as Json).action === 'begin' && (e.body as Json).token === second.token))).toBe(true);
      await onA.terminate(token);
      await onA.terminate(second.token);
      expect(await eventually(() => events.some((e) => e.event === 'apaevt_task' && (e.body as Json).action === 'end' && (e.body as Json).token === second.token))).toBe(true);
    });

    it('a token no server holds gets TASK_NOT_FOUND at once, from either server', async () => {
      const onB = await dap(b);
      for (const command of ['rrext_get_task_status', 'terminate', 'rrext_monitor']) {
        const began = Date.now();
        const reply = await onB.request(command, command === 'rrext_monitor' ? { types: ['summary'] } : {}, { token: 'no-such-task' });
        expect([command, reply.success, reply.code]).toEqual([command, false, 'TASK_NOT_FOUND']);
        expect(Date.now() - began).toBeLessThan(2000);
      }
      const item = await onB.request('rrext_process', { subcommand: 'open' }, { token: 'no-such-task' });
      expect([item.success, item.code]).toEqual([false, 'TASK_NOT_FOUND']);
      expect((await task(a, 'GET', '/task?token=no-such-task')).error).toMatchObject({ code: 'TASK_NOT_FOUND' });
      // Bad input is refused where it arrives, naming the field, as on one server.
      const empty = await onB.request('terminate', {}, { token: '' });
      expect(empty).toMatchObject({ success: false, code: 'INVALID_TOKEN', details: { field: 'token' } });
      // A use of a token with a bad pipeline keeps no claim on it (sidex:task:<token>, docs/cluster.md).
      const bad = await onB.request('execute', { pipeline: { components: [] }, token: 'bad-first' });
      expect([bad.success, bad.code]).toEqual([false, 'INVALID_PIPELINE']);
      const redis = new Redis(cluster.queue);
      try {
        expect(await redis.exists('sidex:task:bad-first')).toBe(0);
      } finally {
        redis.disconnect();
      }
      const onA = await dap(a);
      const good = await onA.request('execute', { pipeline: codeChain('return input'), token: 'bad-first' });
      expect(good, JSON.stringify(good)).toMatchObject({ success: true, body: { token: 'bad-first' } });
      expect((await onB.request('rrext_get_tasks', {})).body.tasks.map((t: Json) => t.token)).toContain('bad-first');
      expect((await onA.request('terminate', {}, { token: 'bad-first' })).success).toBe(true);
    });

    it('a server shut down gracefully drains its tasks first: the others then read them as ended', async () => {
      const e = await spawnServer({ args: ['--queue', cluster.queue, '--store', cluster.store, '--loss-ms', String(LOSS_MS)] });
      cluster.servers.push(e);
      const onE = await dap(e);
      const used = await onE.request('execute', { pipeline: codeChain('return input') });
      const token = used.body.token as string;
      const onB = await dap(b);
      expect((await onB.request('rrext_get_task_status', {}, { token })).body).toMatchObject({ state: TaskState.RUNNING });
      await e.stop();
      const status = await onB.request('rrext_get_task_status', {}, { token });
      expect(status, JSON.stringify(status)).toMatchObject({ success: true, body: { state: TaskState.CANCELLED, completed: true } });
      expect(status.body.exitMessage).toContain('the server shut down');
    });

    it('a server dies with a pipe its client opened on a task of A: A abandons it, freeing its thread', async () => {
      const d = await spawnServer({ args: ['--queue', cluster.queue, '--store', cluster.store, '--loss-ms', String(LOSS_MS)] });
      cluster.servers.push(d);
      const onA = await dap(a);
      const used = await onA.request('execute', { pipeline: codeChain('return input'), threads: 1 });
      const token = used.body.token as string;
      const onD = await dap(d);
      expect((await onD.request('rrext_process', { subcommand: 'open', mimeType: 'text/plain' }, { token })).success).toBe(true);
      d.child.kill('SIGKILL');
      const killedAt = Date.now();
      // The task's one thread is the dead server's pipe's until A abandons it.
      const onB = await dap(b);
      const open = await onB.request('rrext_process', { subcommand: 'open', mimeType: 'text/plain' }, { token }, 4 * LOSS_MS);
      expect(open.success, JSON.stringify(open)).toBe(true);
      expect(Date.now() - killedAt).toBeLessThan(3 * LOSS_MS);
      await onB.binary('rrext_process', { subcommand: 'write', pipe_id: open.body.pipe_id, token }, Buffer.from('freed'));
      expect(await onB.request('rrext_process', { subcommand: 'close', pipe_id: open.body.pipe_id }, { token })).toMatchObject({ success: true, body: { text: ['freed\n\n'] } });
      expect((await onA.request('rrext_get_task_status', {}, { token })).body).toMatchObject({ cancelledCount: 1, completedCount: 1 });
      await onA.request('terminate', {}, { token });
    }, 60_000);

    it('the server holding a task is killed: the other answers TASK_OWNER_LOST within 3 s, and the task\'s process is stopped within the loss bound', async () => {
      const c = await spawnServer({ args: ['--queue', cluster.queue, '--store', cluster.store, '--loss-ms', String(LOSS_MS)] });
      cluster.servers.push(c);
      const onC = await dap(c);
      const used = await onC.request('execute', { pipeline: codeChain(takes(60_000)) });
      expect(used.success, JSON.stringify(used)).toBe(true);
      const token = used.body.token as string;
      const onB = await dap(b);
      const open = await onB.request('rrext_process', { subcommand: 'open', mimeType: 'text/plain' }, { token });
      expect(open.success, JSON.stringify(open)).toBe(true);
      await onB.binary('rrext_process', { subcommand: 'write', pipe_id: open.body.pipe_id, token }, Buffer.from('slow'));
      const pending = onB.request('rrext_process', { subcommand: 'close', pipe_id: open.body.pipe_id }, { token }, 30_000);
      expect(await eventually(async () => (await onB.request('rrext_get_task_status', {}, { token })).body?.inProgressCount === 1)).toBe(true);

      c.child.kill('SIGKILL');
      const killedAt = Date.now();
      // In flight when it died, and asked after.
      expect(await pending).toMatchObject({ success: false, code: 'TASK_OWNER_LOST', details: { token } });
      expect(Date.now() - killedAt).toBeLessThan(3000);
      const began = Date.now();
      const status = await onB.request('rrext_get_task_status', {}, { token });
      expect(status).toMatchObject({ success: false, code: 'TASK_OWNER_LOST' });
      expect(status.message).toContain(token);
      // Known gone by now: not waited for again (lostAfterMs, 2 s).
      expect(Date.now() - began).toBeLessThan(1000);

      // Its claims lapse and a surviving server stops its process: the task reads as ended, from the store.
      const id = used.body.id as string;
      expect(await eventually(async () => ['stopped', 'failed', 'completed'].includes((await statusOn(a, id)).status), 3 * LOSS_MS, 100)).toBe(true);
      expect(Date.now() - killedAt).toBeLessThan(3 * LOSS_MS);
      expect((await statusOn(a, id)).stopReason).toBe('supervisor_lost');
      expect(await eventually(async () => (await onB.request('rrext_get_task_status', {}, { token })).body?.completed === true, 2 * LOSS_MS)).toBe(true);
      const ended = await onB.request('rrext_process', { subcommand: 'open', mimeType: 'text/plain' }, { token });
      expect([ended.success, ended.code]).toEqual([false, 'TASK_NOT_RUNNING']);
      expect((await onB.request('rrext_get_task_status', {}, { token })).body).toMatchObject({ state: TaskState.COMPLETED, completed: true, exitMessage: 'the server stopped without ending this execution' });
      // Its token is free again: a new task under it runs on a live server.
      const again = await onB.request('execute', { pipeline: codeChain(forever), token });
      expect(again, JSON.stringify(again)).toMatchObject({ success: true, body: { token } });
      expect((await onB.request('terminate', { force: true }, { token })).success).toBe(true);
    }, 60_000);
  });
}
