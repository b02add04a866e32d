// Who runs the executions: GET /v1/workers, client.workers() and `sidex
// workers`, against a real `sidex serve --queue` with real `sidex worker`
// processes (each worker's load, tags and heartbeat, each queue's depth, a
// worker draining, a worker lost), and against a server without a cluster.
import net from 'node:net';
import os from 'node:os';
import { SidexClient, SidexClientError, type WorkersFields } from '@sidex/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMissing, redisDb, startCluster, type TestCluster, type TestWorker } from './helpers/cluster.js';
import { jsonOf, startOn, statusOn, stopOn, untilOutput } from './helpers/cluster-api.js';
import { api, freePort, runCli, spawnServer, stopAndRemove, type TestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';
import { serversFor } from './helpers/machine-needs.js';

const missing = clusterMissing();
const HOLD = 'await new Promise((r) => setTimeout(r, 600_000))';
/** Blocks its thread: no graceful stop can unwind it, so a stop takes the whole grace. */
const STUCK = 'await new Promise((r) => setTimeout(r, 50)); console.log("stuck"); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600_000)';

async function workersOf(client: SidexClient): Promise<WorkersFields> {
  const reply = await client.workers();
  if (!reply.success) throw new Error(`${reply.code}: ${reply.error}`);
  return reply.data;
}

/** Polls the listing until `check` holds; fails with the last listing if it never does. */
async function until(client: SidexClient, check: (view: WorkersFields) => boolean, timeoutMs = 15_000): Promise<WorkersFields> {
  let last: WorkersFields | undefined;
  const held = await eventually(async () => check((last = await workersOf(client))), timeoutMs, 100);
  if (!held) throw new Error(`the listing never got there; last: ${JSON.stringify(last)}`);
  return last!;
}

const worker = (view: WorkersFields, name: string) => view.workers.find((w) => w.name === name);
const queue = (view: WorkersFields, name: string) => view.queues.find((q) => q.name === name);

describe('GET /v1/workers without a cluster', () => {
  let server: TestServer;
  let client: SidexClient;
  beforeAll(async () => {
    server = await spawnServer();
    client = new SidexClient({ url: server.url, apiKey: server.apiKey });
  }, 30_000);
  afterAll(async () => {
    client?.close();
    if (server) await stopAndRemove(server);
  });

  it("says it is not clustered and gives its own engine's load, which moves while an execution runs", async () => {
    const idle = await workersOf(client);
    expect(idle).toMatchObject({ clustered: false, workers: [], queues: [], local: { running: 0, queued: 0, concurrency: expect.any(Number) } });
    expect(idle.local!.concurrency).toBeGreaterThan(0);
    const started = await jsonOf(server, '/v1/executions', { inlineCode: HOLD });
    expect(started.status).toBe('running');
    await until(client, (v) => v.local?.running === 1);
    await stopOn(server, started.sideExecutionId);
    await until(client, (v) => v.local?.running === 0);
  });

  it('`sidex workers` says so too, for people and for scripts', async () => {
    const env = { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey };
    const human = await runCli(['workers'], { env });
    expect(human).toMatchObject({ code: 0, stdout: expect.stringMatching(/^not clustered: this server runs its executions itself \(0 running of \d+, 0 queued, \d+ warm runtimes idle\)\n$/) });
    const machine = await runCli(['workers', '--json'], { env });
    expect(machine.code).toBe(0);
    expect(JSON.parse(machine.stdout)).toMatchObject({ clustered: false, workers: [], queues: [] });
  });

  it('refuses a missing or wrong key: 401 UNAUTHORIZED; the SDK throws UNAUTHORIZED; the CLI exits 5', async () => {
    for (const key of [null, 'not-the-key-at-all']) {
      const res = await api(server, '/v1/workers', { key });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
    const wrong = new SidexClient({ url: server.url, apiKey: 'not-the-key-at-all' });
    try {
      const err = await wrong.workers().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(SidexClientError);
      expect((err as SidexClientError).code).toBe('UNAUTHORIZED');
    } finally {
      wrong.close();
    }
    const cli = await runCli(['workers'], { env: { SIDEX_URL: server.url, SIDEX_API_KEY: 'not-the-key-at-all' } });
    expect(cli.code).toBe(5);
    expect(cli.stderr).toContain('UNAUTHORIZED');
  });

  it('the SDK throws CONNECTION_FAILED for a server that is not there, and TIMEOUT past its request timeout for one that never answers', async () => {
    const silent = net.createServer(() => {}); // takes connections, answers nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const hangs = new SidexClient({ url: `http://127.0.0.1:${port}`, apiKey: 'k', requestTimeoutMs: 300 });
    try {
      const err = await hangs.workers().then(() => undefined, (e: unknown) => e);
      expect((err as SidexClientError).code).toBe('TIMEOUT');
    } finally {
      hangs.close();
      silent.close();
    }
    const gone = new SidexClient({ url: `http://127.0.0.1:${await freePort()}`, apiKey: 'k' });
    try {
      const err = await gone.workers().then(() => undefined, (e: unknown) => e);
      expect((err as SidexClientError).code).toBe('CONNECTION_FAILED');
    } finally {
      gone.close();
    }
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await api(server, '/v1/openapi.json')).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths['/v1/workers']?.get?.operationId).toBe('listWorkers');
  });
});

if (serversFor('cluster workers', missing)) {
  describe('cluster workers: 1 server, workers w1 (gpu) and w2 (cpu), one slot each', () => {
    let cluster: TestCluster;
    let server: TestServer;
    let client: SidexClient;
    let workers: TestWorker[];
    beforeAll(async () => {
      cluster = await startCluster({ queue: await redisDb(10), servers: 1, workers: 0 });
      server = cluster.servers[0]!;
      workers = [await cluster.addWorker('w1', ['--concurrency', '1', '--tags', 'gpu']), await cluster.addWorker('w2', ['--concurrency', '1', '--tags', 'cpu'])];
      client = new SidexClient({ url: server.url, apiKey: server.apiKey });
    }, 120_000);
    afterAll(async () => {
      client?.close();
      await cluster?.close();
    }, 60_000);

    it('lists both workers (tags, concurrency, running, host, pid, heartbeat that moves) and the untagged queue; REST and the CLI say the same', async () => {
      const view = await until(client, (v) => v.workers.length === 2);
      expect(view.clustered).toBe(true);
      expect(view.workers.map((w) => [w.name, w.tags, w.concurrency, w.running, w.state])).toEqual([
        ['w1', ['gpu'], 1, 0, 'live'],
        ['w2', ['cpu'], 1, 0, 'live'],
      ]);
      for (const [i, w] of view.workers.entries()) {
        expect([w.host, w.pid]).toEqual([os.hostname(), workers[i]!.child.pid]);
        expect(w.heartbeatAgeMs).toBeLessThan(view.staleAfterMs!);
        expect(w.memoryBytes).toBeGreaterThan(1024 * 1024);
        expect(w.startedAt).toBeLessThanOrEqual(w.heartbeatAt);
        expect(w.isolation).toEqual({ mode: 'sandbox' });
      }
      expect(queue(view, 'executions')).toEqual({ name: 'executions', tags: [], waiting: 0, active: 0, delayed: 0, workers: 2 });
      // Heartbeats go on while nothing happens.
      const first = worker(view, 'w1')!.heartbeatAt;
      await until(client, (v) => worker(v, 'w1')!.heartbeatAt > first);

      const rest = await jsonOf(server, '/v1/workers');
      expect([rest.success, rest.clustered, rest.workers.map((w: { name: string }) => w.name)]).toEqual([true, true, ['w1', 'w2']]);
      const env = { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey };
      const table = await runCli(['workers'], { env });
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^WORKER\s+STATE\s+RUNNING\s+TAGS\s+HEARTBEAT\s+HOST\s+PID\s+ISOLATION\n/);
      expect(table.stdout).toMatch(/^w1\s+live\s+0\/1\s+gpu\s+\d+\.\d s ago/m);
      expect(table.stdout).toMatch(/^w2\s+live\s+0\/1\s+cpu\s+.*\ssandbox$/m);
      expect(table.stdout).toMatch(/^QUEUE\s+WAITING\s+ACTIVE\s+DELAYED\s+WORKERS\n(.*\n)*executions\s+0\s+0\s+0\s+2$/m);
      const json = JSON.parse((await runCli(['workers', '--json'], { env })).stdout) as WorkersFields;
      expect(json.workers.map((w) => w.name)).toEqual(['w1', 'w2']);
    });

    it("running moves with an execution; with w1's slot taken the next gpu start waits in its queue; a tag no worker serves shows 0 workers", async () => {
      const held = await startOn(server, { inlineCode: HOLD, options: { tags: ['gpu'] } });
      expect(held.status).toBe('running');
      const id = held.sideExecutionId as string;
      expect((await statusOn(server, id)).worker).toBe('w1');
      await until(client, (v) => worker(v, 'w1')!.running === 1 && worker(v, 'w2')!.running === 0 && queue(v, 'executions.gpu')?.active === 1);

      // Every gpu slot taken: the next one waits, counted in its queue.
      const next = await startOn(server, { inlineCode: 'return "next"', options: { tags: ['gpu'] } });
      expect([next.status, next.queuePosition]).toEqual(['queued', 1]);
      await until(client, (v) => {
        const q = queue(v, 'executions.gpu');
        return q?.waiting === 1 && q.active === 1 && q.workers === 1;
      });
      const nowhere = await startOn(server, { inlineCode: 'return "nowhere"', options: { tags: ['big'] } });
      expect(nowhere.status).toBe('queued');
      const stuck = await until(client, (v) => queue(v, 'executions.big')?.waiting === 1);
      expect(queue(stuck, 'executions.big')).toEqual({ name: 'executions.big', tags: ['big'], waiting: 1, active: 0, delayed: 0, workers: 0 });

      // The slot freed, the waiting start runs, then all is quiet again.
      expect((await stopOn(server, id)).status).toBe('stopped');
      expect(await eventually(async () => (await statusOn(server, next.sideExecutionId)).status === 'completed', 15_000)).toBe(true);
      expect((await stopOn(server, nowhere.sideExecutionId)).status).toBe('stopped');
      await until(client, (v) => {
        const [gpu, big] = [queue(v, 'executions.gpu')!, queue(v, 'executions.big')!];
        return worker(v, 'w1')!.running === 0 && gpu.waiting + gpu.active + big.waiting === 0;
      });
    });

    it('a worker sent SIGTERM is listed draining while it stops its execution, then leaves; one SIGKILLed is listed stale, not dropped; one unsandboxed says so', async () => {
      const w3 = await cluster.addWorker('w3', ['--concurrency', '1', '--tags', 'slow']);
      const started = await startOn(server, { inlineCode: STUCK, options: { tags: ['slow'] } });
      expect(started.status).toBe('running');
      await until(client, (v) => worker(v, 'w3')?.running === 1);
      // Past its last await: a stop can no longer unwind it, so the drain takes the grace.
      await untilOutput(server, started.sideExecutionId, 'stuck');
      void w3.stop();
      const draining = await until(client, (v) => worker(v, 'w3')?.state === 'draining');
      expect(worker(draining, 'w3')!.running).toBe(1);
      expect(queue(draining, 'executions.slow')?.workers).toBe(0); // a draining worker serves nothing new
      await w3.exited;
      await until(client, (v) => !worker(v, 'w3'));

      // Unsandboxed, which the listing says, with the reason.
      const w4 = await cluster.addWorker('w4', ['--concurrency', '1', '--isolation', 'process']);
      const live = await until(client, (v) => worker(v, 'w4')?.state === 'live');
      expect(worker(live, 'w4')!.isolation).toEqual({ mode: 'process', reason: expect.stringContaining('--isolation process') });
      w4.child.kill('SIGKILL');
      await w4.exited;
      const stale = await until(client, (v) => worker(v, 'w4')?.state === 'stale', 30_000);
      expect(worker(stale, 'w4')!.heartbeatAgeMs).toBeGreaterThan(stale.staleAfterMs!);
      expect(queue(stale, 'executions')!.workers).toBe(2); // w1 and w2 only
    });
  });
}
