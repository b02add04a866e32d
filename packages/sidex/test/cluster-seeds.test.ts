// The seed examples of the in-process suites (Codebolt side execution 001 and
// 003, capabilities 002, RocketRide 004), with the same assertions, run
// through a real cluster: Redis, PostgreSQL, 2 `sidex serve --queue` servers
// and 3 `sidex worker`s sharing one project. What a program starts goes to
// the first server; every later call of it (status, stop, send, terminate)
// and the checks go to the second. Process markers come from the records in
// PostgreSQL; the workers run on this machine, so survivors are looked for here.
// With them, the Codebolt-built block of server-codebolt-blocks.test.ts: it
// runs on a worker and connects back to the server that started it.
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { SidexClient } from '@sidex/client';
import { RocketRideClient } from '@sidex/client/rocketride';
import { capabilitySeedSuite } from './capability-seeds-suite.js';
import { codeboltBlockSuite } from './codebolt-blocks-suite.js';
import { writeCodeboltWsBlock } from './fixtures/codebolt-ws-block.js';
import { copyCatalogProject } from './fixtures/projects/fixture-project.js';
import { clusterMissing, redisDb, startCluster, type TestCluster } from './helpers/cluster.js';
import { recordOf } from './helpers/cluster-api.js';
import { serversFor } from './helpers/machine-needs.js';
import { RawSocket } from './helpers/raw-ws.js';
import { ownedDir } from './helpers/pipelines.js';
import type { TestServer } from './helpers/spawn-server.js';
import { pipelineSeedSuite, writeSeedPipelines } from './pipeline-seeds-suite.js';
import { sideExecutionSeedSuite, writeSeedBlocks } from './seeds-side-execution-suite.js';
import { isTerminal } from '../dist/index.js';

/** `a`'s start methods, `b`'s others: what a program starts through one server, it follows through another. */
function startsOn<T extends object>(a: T, b: T): T {
  return new Proxy(b, {
    get: (_, key) => {
      const from = (typeof key === 'string' && key.startsWith('start') ? a : b) as Record<string | symbol, unknown>;
      const value = from[key];
      return typeof value === 'function' ? value.bind(from) : value;
    },
  });
}

if (serversFor('cluster seed examples', clusterMissing())) {
  const pipelines = ownedDir('sidex-cluster-seed-004-');
  writeSeedPipelines(pipelines);
  let cluster: TestCluster;
  let a: SidexClient;
  let b: SidexClient;
  const rocketRide: RocketRideClient[] = [];
  let sockets: { start: RawSocket; follow: RawSocket };
  beforeAll(async () => {
    cluster = await startCluster({
      queue: await redisDb(8),
      servers: 2,
      workers: 3,
      // Example 2 alone holds five executions at once.
      workerArgs: ['--concurrency', '4'],
      project: (dir) => (copyCatalogProject(dir), writeSeedBlocks(dir), writeCodeboltWsBlock(dir)),
    });
    const client = (server: TestServer) => new SidexClient({ url: server.url, apiKey: server.apiKey });
    a = client(cluster.servers[0]!);
    b = client(cluster.servers[1]!);
    const socket = (server: TestServer) => RawSocket.open(server.wsUrl, server.apiKey);
    sockets = { start: await socket(cluster.servers[0]!), follow: await socket(cluster.servers[1]!) };
  }, 90_000);
  afterAll(async () => {
    a?.close();
    b?.close();
    sockets?.start.close();
    sockets?.follow.close();
    await Promise.all(rocketRide.map((c) => c.disconnect()));
    await cluster?.close();
  }, 60_000);
  const markerOf = async (id: string) => (await recordOf(cluster, id)).marker;

  sideExecutionSeedSuite(() => ({
    projectDir: cluster.projectDir!,
    sideExecution: startsOn(a.sideExecution, b.sideExecution),
    wait: (id) => b.wait(id),
    list: (filter) => b.sideExecution.list(filter as Parameters<typeof b.sideExecution.list>[0]),
    markerOf,
  }));

  capabilitySeedSuite(() => ({
    capability: startsOn(a.capability, b.capability),
    isReady: async (id) => {
      const status = await b.sideExecution.getStatus(id);
      return status.success && (String(status.data.output).includes('ready') || isTerminal(status.data.status));
    },
    markerOf,
  }));

  pipelineSeedSuite(() => ({
    client: (log) => {
      const connected = (server: TestServer) => {
        const c = new RocketRideClient({ uri: server.url, auth: server.apiKey, env: {} });
        rocketRide.push(c);
        return c.connect().then(() => c);
      };
      const [onA, onB] = [connected(cluster.servers[0]!), connected(cluster.servers[1]!)];
      return {
        connect: async () => void (await Promise.all([onA, onB])),
        disconnect: async () => {},
        // A drain of 200 ms for this task, as the in-process suite's server has by default.
        use: async ({ filepath, ...options }) => (await onA).use({ filepath: path.resolve(pipelines, filepath), ...options, drainMs: 200 }),
        // The example sends text, as the in-process service takes a string.
        send: async (token, data) => (await onB).send(token, data, {}, 'text/plain'),
        terminate: async (token) => (await onB).terminate(token),
        get_task_status: async (token) => (await onB).getTaskStatus(token),
        print: (line) => log.push(line),
      };
    },
    markerOf,
  }));

  codeboltBlockSuite(() => sockets);
}
