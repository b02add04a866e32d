// Commands through the cluster on loopback: a real Redis and PostgreSQL, 2
// `sidex serve --queue` servers and 2 `sidex worker` processes sharing one
// project directory (as a deployment shares its project). A command starts on
// one server; its status, logs, stdin and stop go through the other.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SidexClient } from '@sidex/client';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, withToken } from './helpers/attacks.js';
import { clusterMissing, clusterSql, redisDb, startCluster, type TestCluster } from './helpers/cluster.js';
import { clusterApi, jsonOf, recordOf, startOn, statusOn, stopOn, untilOutput } from './helpers/cluster-api.js';
import { serversFor } from './helpers/machine-needs.js';
import { runCli } from './helpers/server.js';
import { eventually, survivors } from './helpers/sidex.js';
import type { TestServer } from './helpers/spawn-server.js';

const missing = clusterMissing();
const bodyOf = async (res: Response) => (await res.json()) as Record<string, any>;

if (serversFor('cluster commands', missing)) {
  describe('cluster commands: 2 servers, 2 workers', () => {
    let cluster: TestCluster;
    let a: TestServer;
    let b: TestServer;
    const project = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-cluster-project-'));
    fs.chmodSync(project, 0o755); // a sandbox under a root worker runs as nobody, who must enter it
    fs.writeFileSync(path.join(project, 'data.txt'), 'in the project\n');
    beforeAll(async () => {
      cluster = await startCluster({
        queue: await redisDb(11),
        servers: 2,
        workers: 2,
        serverArgs: ['--project', project],
        workerArgs: ['--project', project, '--concurrency', '2'],
      });
      [a, b] = cluster.servers as [TestServer, TestServer];
    }, 120_000);
    afterAll(async () => {
      await cluster?.close();
      fs.rmSync(project, { recursive: true, force: true });
    }, 60_000);

    /** The log read through `server`, each line's bytes decoded from base64, per stream. */
    async function exactLog(server: TestServer, id: string): Promise<Record<'stdout' | 'stderr', Buffer>> {
      const ndjson = await (await clusterApi(server, `/v1/executions/${id}/logs?encoding=base64`)).text();
      const lines = ndjson.trim() ? ndjson.trim().split('\n').map((l) => JSON.parse(l) as { stream: 'stdout' | 'stderr'; data: string; encoding: string }) : [];
      expect(lines.every((l) => l.encoding === 'base64')).toBe(true);
      const of = (stream: string) => Buffer.concat(lines.filter((l) => l.stream === stream).map((l) => Buffer.from(l.data, 'base64')));
      return { stdout: of('stdout'), stderr: of('stderr') };
    }

    const ended = (server: TestServer, id: string) => eventually(async () => !['queued', 'starting', 'running', 'stopping'].includes((await statusOn(server, id)).status), 15_000);

    it('sh -c started on one server: running on a worker; its status, exit code and both streams read on the other', async () => {
      const started = await startOn(a, { command: ['sh', '-c', 'echo to stdout; echo to stderr >&2; exit 3'] });
      expect([started.success, started.status]).toEqual([true, 'running']);
      const id = started.sideExecutionId as string;
      expect(await ended(b, id)).toBe(true);
      const done = await statusOn(b, id);
      expect(done).toMatchObject({ status: 'failed', exitCode: 3, output: 'to stdout\n', error: 'to stderr\n', failure: { code: 'EXIT_CODE' } });
      expect(done).toMatchObject({ command: ['sh', '-c', 'echo to stdout; echo to stderr >&2; exit 3'], isRuntimeCode: false });
      expect(done.worker).toMatch(/^w[12]$/);
      const log = await exactLog(b, id);
      expect([log.stdout.toString(), log.stderr.toString()]).toEqual(['to stdout\n', 'to stderr\n']);
      const record = await recordOf(cluster, id);
      expect([record.exitCode, record.error?.code, record.kind]).toEqual([3, 'EXIT_CODE', 'command']);
    });

    it('a program ignoring SIGTERM with a setsid grandchild, stopped from the other server: graceful, then forced; nothing survives', async () => {
      const token = `sidex-cluster-cmd-${process.pid}-${Date.now()}`;
      try {
        const script = `setsid sh -c 'trap "" TERM; while :; do sleep 1; done' ${token} & trap "" TERM; sleep 0.2; echo ready; wait`;
        const started = await startOn(a, { command: ['sh', '-c', script], options: { graceMs: 500 } });
        expect(started.status).toBe('running');
        const id = started.sideExecutionId as string;
        await untilOutput(b, id, 'ready');
        expect(withToken(token).length).toBeGreaterThanOrEqual(1); // the worker runs on this machine
        const began = Date.now();
        const stopped = await stopOn(b, id);
        expect(Date.now() - began).toBeGreaterThanOrEqual(500); // the grace ran out first
        expect(stopped).toMatchObject({ success: true, status: 'stopped', forced: true, output: 'ready\n' });
        expect(withToken(token)).toEqual([]);
        const record = await recordOf(cluster, id);
        expect([record.signal, record.stopReason]).toEqual(['SIGKILL', 'user']);
        expect(record.marker).toBeTruthy();
        expect(survivors(record.marker)).toEqual([]);
      } finally {
        killAll(withToken(token));
      }
    });

    it('a program that handles SIGTERM, stopped from the other server, ends within the grace (not forced)', async () => {
      const started = await startOn(b, { command: ['sh', '-c', 'trap "echo closing; exit 0" TERM; echo up; while :; do sleep 0.1; done'], options: { graceMs: 5000 } });
      const id = started.sideExecutionId as string;
      await untilOutput(a, id, 'up');
      const stopped = await stopOn(a, id);
      expect(stopped).toMatchObject({ success: true, status: 'stopped', forced: false, output: 'up\nclosing\n' });
    });

    it('stdin: bytes given at start, more written and closed from the other server; each write answers with the worker\'s state', async () => {
      const started = await startOn(a, { command: ['cat'], stdin: { data: 'one\n', open: true } });
      expect(started.status).toBe('running');
      const id = started.sideExecutionId as string;
      await untilOutput(b, id, 'one\n');
      const write = (server: TestServer, body: object) => clusterApi(server, `/v1/executions/${id}/stdin`, { method: 'POST', body: JSON.stringify(body) });
      const wrote = await write(b, { data: 'two\n' });
      expect(wrote.status).toBe(200);
      expect(await bodyOf(wrote)).toMatchObject({ success: true, sideExecutionId: id, written: 4, stdinOpen: true, pendingBytes: expect.any(Number) });
      const bytes = Buffer.from([0xff, 0x00, 0x0a, 0xc3]);
      expect(await bodyOf(await write(a, { data: bytes.toString('base64'), encoding: 'base64' }))).toMatchObject({ success: true, written: 4, stdinOpen: true });
      const closed = await write(b, { close: true });
      expect(await bodyOf(closed)).toMatchObject({ success: true, written: 0, stdinOpen: false });
      expect(await ended(a, id)).toBe(true);
      expect(await statusOn(a, id)).toMatchObject({ status: 'completed', exitCode: 0 });
      expect((await exactLog(a, id)).stdout.equals(Buffer.concat([Buffer.from('one\ntwo\n'), bytes]))).toBe(true);
      // Refusals come from the worker's engine, or from the record once it has ended.
      const afterEnd = await write(b, { data: 'late' });
      expect(afterEnd.status).toBe(409);
      expect(await bodyOf(afterEnd)).toMatchObject({ success: false, code: 'NOT_RUNNING' });
    });

    it('stdin refusals through the cluster: closed, not a command, unknown id, bad data', async () => {
      const sleeper = (await startOn(a, { command: ['sleep', '30'] })).sideExecutionId as string;
      try {
        const notOpen = await clusterApi(b, `/v1/executions/${sleeper}/stdin`, { method: 'POST', body: JSON.stringify({ data: 'x' }) });
        expect(notOpen.status).toBe(409);
        expect(await bodyOf(notOpen)).toMatchObject({ success: false, code: 'STDIN_CLOSED' });
      } finally {
        await stopOn(b, sleeper, { graceMs: 0 });
      }
      const code = (await startOn(a, { inlineCode: 'return 1' })).sideExecutionId as string;
      const notCommand = await clusterApi(b, `/v1/executions/${code}/stdin`, { method: 'POST', body: JSON.stringify({ data: 'x' }) });
      expect([notCommand.status, (await bodyOf(notCommand)).code]).toEqual([409, 'NOT_A_COMMAND']);
      const unknown = await clusterApi(b, '/v1/executions/side_1_00000000/stdin', { method: 'POST', body: JSON.stringify({ data: 'x' }) });
      expect([unknown.status, (await bodyOf(unknown)).code]).toEqual([404, 'EXECUTION_NOT_FOUND']);
      const bad = await clusterApi(b, `/v1/executions/${sleeper}/stdin`, { method: 'POST', body: JSON.stringify({ data: '!!', encoding: 'base64' }) });
      expect(await bodyOf(bad)).toMatchObject({ success: false, code: 'INVALID_ARGUMENT', details: { field: 'data' } });
    });

    it('binary output: every byte back through the other server (base64 and raw); text replies and live events show U+FFFD as one machine does', async () => {
      const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 167 + 13) % 256));
      const client = new SidexClient({ url: b.url, apiKey: b.apiKey });
      try {
        const seen: string[] = [];
        client.on('output', (e) => seen.push(e.data));
        await client.waitForReady();
        const started = await startOn(a, { command: ['sh', '-c', 'cat; printf "\\377\\376tail\\n" >&2'], stdin: { data: bytes.toString('base64'), encoding: 'base64' } });
        const id = started.sideExecutionId as string;
        expect(await ended(b, id)).toBe(true);
        const log = await exactLog(b, id);
        expect(log.stdout.equals(bytes)).toBe(true);
        expect(log.stderr.equals(Buffer.from([0xff, 0xfe, ...Buffer.from('tail\n')]))).toBe(true);
        const raw = await clusterApi(b, `/v1/executions/${id}/logs?format=raw&stream=stdout`);
        expect(raw.headers.get('content-type')).toBe('application/octet-stream');
        expect(Buffer.from(await raw.arrayBuffer()).equals(bytes)).toBe(true);
        const lines = (await (await clusterApi(a, `/v1/executions/${id}/logs`)).text()).trim().split('\n').map((l) => JSON.parse(l) as { stream: string; data: string });
        expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.data).join('')).toBe('\ufffd\ufffdtail\n');
        expect((await statusOn(a, id)).error).toBe('\ufffd\ufffdtail\n');
        expect(await eventually(() => seen.join('').includes('tail\n'), 5000)).toBe(true);
        expect(seen.join('')).toContain('\ufffd\ufffdtail\n');
      } finally {
        client.close();
      }
    });

    it('head -c of /dev/urandom read back byte for byte from the other server, following it while it runs', async () => {
      const started = await startOn(a, { command: ['sh', '-c', 'head -c 65536 /dev/urandom > random; sleep 0.2; cat random; cat random >&2'] });
      const id = started.sideExecutionId as string;
      const follow = await clusterApi(b, `/v1/executions/${id}/logs?format=raw&stream=stdout&follow=true`);
      const followed = Buffer.from(await follow.arrayBuffer());
      const log = await exactLog(b, id);
      expect(log.stdout.length).toBe(65536);
      expect(log.stdout.equals(log.stderr)).toBe(true); // the same random bytes on both streams
      expect(followed.equals(log.stdout)).toBe(true);
    });

    it('an unknown program and a file that is not executable: their codes and the path tried; a missing cwd is refused, leaving no record', async () => {
      const unknown = await startOn(a, { command: ['no-such-program-sidex'] });
      expect(unknown).toMatchObject({ success: false, code: 'COMMAND_NOT_FOUND', details: { path: 'no-such-program-sidex' } });
      expect((await statusOn(b, unknown.sideExecutionId)).status).toBe('failed');
      const notExecutable = await clusterApi(b, '/v1/executions', { method: 'POST', body: JSON.stringify({ command: ['./data.txt'], cwd: project }) });
      expect(notExecutable.status).toBe(400);
      expect(await bodyOf(notExecutable)).toMatchObject({ success: false, code: 'COMMAND_NOT_EXECUTABLE', details: { path: path.join(project, 'data.txt') } });
      const gone = path.join(project, 'no-such-dir');
      const noCwd = await clusterApi(a, '/v1/executions', { method: 'POST', body: JSON.stringify({ command: ['true'], cwd: gone }) });
      expect(noCwd.status).toBe(400);
      const refused = await bodyOf(noCwd);
      expect(refused).toMatchObject({ success: false, code: 'CWD_NOT_FOUND', details: { field: 'cwd', path: gone } });
      expect(refused.sideExecutionId).toBeUndefined();
      const left = await clusterSql<{ n: string }>(cluster, 'SELECT count(*) AS n FROM executions WHERE doc LIKE $1', [`%${gone}%`]);
      expect(Number(left[0]!.n)).toBe(0);
      const outside = await startOn(b, { command: ['true'], cwd: os.tmpdir() });
      expect(outside).toMatchObject({ success: false, code: 'PATH_OUTSIDE_ROOTS' });
    });

    it('a worker confines the cwd to its own roots too: outside them, the start is refused as one machine refuses it, leaving no record', async () => {
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-other-project-'));
      // It serves the untagged queue too: it leaves before the next tests, whose cwd it does not allow.
      const w4 = await cluster.addWorker('w4', ['--project', elsewhere, '--tags', 'elsewhere']);
      try {
        const dir = path.join(project, 'sub');
        fs.mkdirSync(dir, { recursive: true });
        const refused = await startOn(a, { command: ['true'], cwd: dir, options: { tags: ['elsewhere'] } });
        expect(refused).toMatchObject({ success: false, code: 'PATH_OUTSIDE_ROOTS', details: { path: dir } });
        expect(refused.details.roots).toContain(elsewhere); // the worker's roots: it refused, the server had let it through
        expect(refused.sideExecutionId).toBeUndefined();
        const left = await clusterSql<{ n: string }>(cluster, 'SELECT count(*) AS n FROM executions WHERE doc LIKE $1', [`%${dir}%`]);
        expect(Number(left[0]!.n)).toBe(0);
        // The same worker runs a command in its own scratch directory.
        const inside = await startOn(b, { command: ['sh', '-c', 'echo in $PWD'], options: { tags: ['elsewhere'] } });
        expect(inside.success).toBe(true);
        expect(await ended(a, inside.sideExecutionId)).toBe(true);
        expect(await statusOn(a, inside.sideExecutionId)).toMatchObject({ status: 'completed', worker: 'w4', output: expect.stringMatching(/^in \//) });
      } finally {
        await w4.stop();
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    });

    it('sidex exec --url against the cluster: output streamed, its stdin passed on, the program\'s exit code', async () => {
      const env = { SIDEX_API_KEY: a.apiKey };
      const run = await runCli(['exec', '--url', a.url, '--', 'sh', '-c', 'cat; echo err >&2; exit 5'], { env, cwd: project, input: 'piped in\n' });
      expect(run).toMatchObject({ code: 5, stdout: 'piped in\n', stderr: 'err\n' });
      expect((await runCli(['exec', '--url', b.url, '--', 'no-such-program-sidex'], { env: { SIDEX_API_KEY: b.apiKey }, cwd: project })).code).toBe(127);
    });

    it('a stdin write whose worker was SIGKILLed answers WORKER_UNREACHABLE within the bound, then NOT_RUNNING once it is lost', async () => {
      // Its job's lock outlives the write's wait (a third of 45 s): the worker is unreachable, not lost yet.
      const doomed = await cluster.addWorker('w3', ['--project', project, '--tags', 'doomed', '--loss-ms', '45000']);
      const started = await startOn(a, { command: ['cat'], stdin: { open: true }, options: { tags: ['doomed'] } });
      expect(started.status).toBe('running');
      const id = started.sideExecutionId as string;
      expect((await statusOn(b, id)).worker).toBe('w3');
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      const began = Date.now();
      const write = await clusterApi(b, `/v1/executions/${id}/stdin`, { method: 'POST', body: JSON.stringify({ data: 'anyone?' }) });
      const waited = Date.now() - began;
      const body = await bodyOf(write);
      expect([write.status, body.code]).toEqual([504, 'WORKER_UNREACHABLE']);
      expect(body).toMatchObject({ details: { worker: 'w3', written: 0 } });
      expect(body.error).toContain('nothing of it was written');
      // Withdrawn: its bytes are no longer in Redis for anyone to take.
      const redis = new Redis(cluster.queue, { maxRetriesPerRequest: 1 });
      try {
        expect(await redis.keys('sidex:request:*')).toEqual([]);
      } finally {
        redis.disconnect();
      }
      expect(waited).toBeLessThan(8000);
      expect(await eventually(async () => (await statusOn(a, id)).stopReason === 'supervisor_lost', 30_000, 200)).toBe(true);
      const late = await clusterApi(a, `/v1/executions/${id}/stdin`, { method: 'POST', body: JSON.stringify({ data: 'x' }) });
      expect([late.status, (await bodyOf(late)).code]).toEqual([409, 'NOT_RUNNING']);
    }, 60_000);
  });
}
