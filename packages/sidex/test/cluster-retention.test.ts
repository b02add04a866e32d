// Retention in a cluster runs on the workers: each prunes the records it ran
// (its store's owner) and their output files on its machine. A real Redis,
// PostgreSQL, one `sidex serve --queue` and a worker restarted with
// --retain-executions.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMissing, redisDb, startCluster, type TestCluster } from './helpers/cluster.js';
import { clusterApi, startOn } from './helpers/cluster-api.js';
import { serversFor } from './helpers/needs-servers.js';
import { eventually } from './helpers/sidex.js';

const missing = clusterMissing();

if (serversFor('cluster retention', missing)) {
  describe('cluster retention: on the workers', () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await startCluster({ queue: await redisDb(12), servers: 1, workers: 0 });
    }, 120_000);
    afterAll(() => cluster?.close(), 60_000);

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
  });
}
