// PostgreSQL briefly unreachable from a worker while its execution ends: the
// worker's engine retries the terminal write, and no record is lost. The
// outage is real: the worker reaches PostgreSQL through a loopback relay whose
// connections are cut, then let through again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMissing, redisDb, spawnWorker, startCluster, type TestCluster } from './helpers/cluster.js';
import { startOn, statusOn, untilOutput } from './helpers/cluster-api.js';
import { serversFor } from './helpers/machine-needs.js';
import { eventually } from './helpers/sidex.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

const missing = clusterMissing();

if (serversFor('cluster store outage', missing)) {
  describe('cluster: PostgreSQL briefly unavailable to a worker', () => {
    let cluster: TestCluster;
    let proxy: TcpProxy;
    beforeAll(async () => {
      cluster = await startCluster({ queue: await redisDb(13), servers: 1, workers: 0 });
      const direct = new URL(cluster.store);
      proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
      const relayed = new URL(cluster.store);
      relayed.hostname = '127.0.0.1';
      relayed.port = String(proxy.port);
      cluster.workers.push(await spawnWorker(cluster.queue, relayed.href, 'behind-relay'));
    }, 120_000);
    afterAll(async () => {
      await cluster?.close();
      await proxy?.close();
    }, 60_000);

    it('an execution ending during the outage is recorded completed once it passes, with its output whole', async () => {
      const server = cluster.servers[0]!;
      const code = 'for (let i = 0; i < 10; i++) { console.log("tick " + i); await new Promise((r) => setTimeout(r, 100)); } return "done";';
      const started = await startOn(server, { inlineCode: code });
      expect(started.status).toBe('running');
      const id = started.sideExecutionId as string;
      await untilOutput(server, id, 'tick 2');
      proxy.cut();
      // The run ends about 0.8 s from here, while the worker cannot reach PostgreSQL.
      await new Promise((r) => setTimeout(r, 1500));
      // Its end could not be written: the record still says running.
      expect((await statusOn(server, id)).status).toBe('running');
      proxy.restore();
      expect(await eventually(async () => (await statusOn(server, id)).status === 'completed', 20_000, 100)).toBe(true);
      const done = await statusOn(server, id);
      expect(done.result).toBe('done');
      expect(done.worker).toBe('behind-relay');
      expect(await untilOutput(server, id, 'tick 9')).toBe(Array.from({ length: 10 }, (_, i) => `tick ${i}\n`).join(''));
      const next = await startOn(server, { inlineCode: 'return 2' });
      expect(next.success).toBe(true);
      expect(await eventually(async () => (await statusOn(server, next.sideExecutionId as string)).status === 'completed', 10_000)).toBe(true);
    }, 60_000);
  });
}
