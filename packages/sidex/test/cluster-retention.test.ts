// Retention in a cluster: each worker prunes the records it ran (its store's
// owner) and their output files on its machine; each server prunes the
// records it owns, those that never reached a worker. A real Redis,
// PostgreSQL, `sidex serve --queue` and a worker, restarted with
// --retain-executions.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMissing, redisDb, startCluster, type TestCluster } from './helpers/cluster.js';
import { clusterApi, startOn, statusOn, stopOn } from './helpers/cluster-api.js';
import { serversFor } from './helpers/machine-needs.js';
import { spawnServer } from './helpers/spawn-server.js';
import { eventually } from './helpers/sidex.js';

const missing = clusterMissing();

if (serversFor('cluster retention', missing)) {
  describe('cluster retention: on the workers', () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await startCluster({ queue: await redisDb(12), servers: 1, workers: 0 });
    }, 120_000);
    const leftRoots: string[] = [];
    afterAll(async () => {
      await cluster?.close();
      for (const root of leftRoots) fs.rmSync(root, { recursive: true, force: true });
    }, 60_000);

    it('a worker given --retain-executions 2 prunes the oldest of the records it ran, and their output files', async () => {
      const server = cluster.servers[0]!;
      const first = await cluster.addWorker('keeper', ['--concurrency', '1']);
      const dataDir = path.join(first.root, 'data');
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const started = await startOn(server, { inlineCode: `console.log('run ${i}'); return ${i}` });
        expect(started.success, JSON.stringify(started)).toBe(true);
        ids.push(started.sideExecutionId);
        const ended = await eventually(async () => {
          const status = (await (await clusterApi(server, `/v1/executions/${started.sideExecutionId}`)).json()) as { status?: string };
          return status.status === 'completed';
        }, 20_000);
        expect(ended).toBe(true);
      }
      const logsOf = (id: string) => fs.readdirSync(path.join(dataDir, 'logs')).filter((f) => f.startsWith(`${id}.`));
      for (const id of ids) expect(logsOf(id).length).toBeGreaterThan(0);

      // The same worker (same data directory, so the same owner), restarted with a retention policy: its first pass runs at once.
      expect(await first.stop()).toBe(0);
      await cluster.addWorker('keeper', ['--concurrency', '1', '--data-dir', dataDir, '--retain-executions', '2']);
      const found = (id: string) => clusterApi(server, `/v1/executions/${id}`).then((r) => r.status);
      // A record goes first, then its files (retention.ts): both are waited for.
      const pruned = async () => (await found(ids[0]!)) === 404 && (await found(ids[1]!)) === 404 && [...logsOf(ids[0]!), ...logsOf(ids[1]!)].length === 0;
      expect(await eventually(pruned, 20_000)).toBe(true);
      expect([await found(ids[2]!), await found(ids[3]!)]).toEqual([200, 200]);
      expect([...logsOf(ids[0]!), ...logsOf(ids[1]!)]).toEqual([]);
      expect(logsOf(ids[2]!).length).toBeGreaterThan(0);
    }, 120_000);

    it('a server given --retain-executions 1 prunes the oldest records that never reached a worker, and none a worker ran', async () => {
      const server = cluster.servers[0]!;
      // Older than what the server owns: a retention that reached past its own records would take it first.
      const ran = await startOn(server, { inlineCode: 'return 1' });
      expect(ran.success, JSON.stringify(ran)).toBe(true);
      expect(await eventually(async () => (await statusOn(server, ran.sideExecutionId)).status === 'completed', 20_000)).toBe(true);
      // No worker serves the tag: each start stays queued, and its stop withdraws it here (the server owns the record).
      const withdrawn: string[] = [];
      for (let i = 0; i < 3; i++) {
        const started = await startOn(server, { inlineCode: 'return 1', options: { tags: ['nowhere'] } });
        expect([started.success, started.status], JSON.stringify(started)).toEqual([true, 'queued']);
        const stopped = await stopOn(server, started.sideExecutionId);
        expect(stopped.success, JSON.stringify(stopped)).toBe(true);
        withdrawn.push(started.sideExecutionId);
      }

      // The same server (same data directory, so the same owner), restarted with a retention policy: its first pass runs at once.
      expect(await server.stop()).toBe(0);
      const keeper = await spawnServer({ args: ['--queue', cluster.queue, '--store', cluster.store, '--data-dir', server.dataDir, '--retain-executions', '1'] });
      cluster.servers[0] = keeper;
      leftRoots.push(server.root);
      const found = (id: string) => clusterApi(keeper, `/v1/executions/${id}`).then((r) => r.status);
      expect(await eventually(async () => (await found(withdrawn[0]!)) === 404 && (await found(withdrawn[1]!)) === 404, 20_000)).toBe(true);
      expect(await found(withdrawn[2]!)).toBe(200);
      // What a worker ran is that worker's to prune.
      expect(await found(ran.sideExecutionId)).toBe(200);
    }, 120_000);
  });
}
