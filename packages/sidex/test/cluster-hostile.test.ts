// Hostile code on a worker against the cluster's own services. With the
// default network ('all'), an execution reaches whatever its worker reaches,
// Redis included: what keeps it out is Redis' password, which the code never
// sees (its environment is built, and the worker is outside its sandbox).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMissing, ownRedis, startCluster, type OwnRedis, type TestCluster } from './helpers/cluster.js';
import { startOn, statusOn } from './helpers/cluster-api.js';
import { serversFor } from './helpers/machine-needs.js';
import { freePort } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const PASSWORD = 'a-redis-password-the-code-never-sees';

/** Sends raw RESP commands to Redis at host:port and answers the first line of each reply. */
const RESP_CLIENT = `
  const net = require('node:net');
  const ask = (command) => new Promise((resolve) => {
    const socket = net.connect(params.port, '127.0.0.1');
    socket.on('error', (e) => resolve('error ' + e.code));
    socket.on('data', (d) => { socket.destroy(); resolve(String(d).split('\\r\\n')[0]); });
    socket.write('*' + command.length + '\\r\\n' + command.map((a) => '$' + Buffer.byteLength(a) + '\\r\\n' + a + '\\r\\n').join(''));
  });
  const found = JSON.stringify(process.env).includes(params.password);
  return { flush: await ask(['FLUSHALL']), keys: await ask(['KEYS', '*']), publish: await ask(['PUBLISH', 'x', 'y']), found };`;

if (serversFor('cluster hostile code', clusterMissing())) {
  describe('cluster: hostile code on a worker against Redis', () => {
    let redis: OwnRedis | undefined;
    let cluster: TestCluster | undefined;
    let port = 0;
    beforeAll(async () => {
      port = await freePort();
      redis = await ownRedis(port, PASSWORD);
      cluster = await startCluster({ queue: redis.url, servers: 1, workers: 1 });
    }, 60_000);
    afterAll(async () => {
      await cluster?.close();
      await redis?.close();
    }, 60_000);

    it('reaches Redis on the network but, without its password, can neither flush, read nor publish; the cluster runs on', async () => {
      const server = cluster!.servers[0]!;
      const started = await startOn(server, { inlineCode: RESP_CLIENT, params: { port, password: PASSWORD } });
      expect(started.success).toBe(true);
      const id = started.sideExecutionId as string;
      expect(await eventually(async () => (await statusOn(server, id)).status === 'completed', 15_000)).toBe(true);
      const noAuth = expect.stringMatching(/^-NOAUTH/);
      expect((await statusOn(server, id)).result).toEqual({ flush: noAuth, keys: noAuth, publish: noAuth, found: false });
      // The queue's keys are all there, and the next start runs.
      const admin = new Redis(redis!.url);
      try {
        expect((await admin.keys('*')).length).toBeGreaterThan(0);
      } finally {
        admin.disconnect();
      }
      const next = await startOn(server, { inlineCode: 'return 7' });
      expect(await eventually(async () => (await statusOn(server, next.sideExecutionId as string)).result === 7, 15_000)).toBe(true);
    }, 60_000);
  });
}
