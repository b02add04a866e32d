// Every seed program of the client's suites (Codebolt side execution 000,
// 001, 003; capabilities 002; RocketRide 004), with the same assertions, run
// through a real cluster: Redis, PostgreSQL, 2 `sidex serve --queue` servers
// and 3 `sidex worker`s sharing one project. The programs talk to the first
// server; what the tests check afterwards they ask the second.
import { afterAll, beforeAll } from 'vitest';
import { writeTestBlocks } from '../../sidex/test/fixtures/blocks.js';
import { copyCatalogProject } from '../../sidex/test/fixtures/projects/fixture-project.js';
import { clusterMissing, redisDb, startCluster, type TestCluster } from '../../sidex/test/helpers/cluster.js';
import { serversFor } from '../../sidex/test/helpers/machine-needs.js';
import { capabilitySeedSuite } from './capability-seeds-suite.js';
import type { SeedServers } from './helpers/seed-target.js';
import { pipelineSeedSuite } from './pipeline-seeds-suite.js';
import { codeboltSeedSuite } from './seeds-suite.js';

if (serversFor('cluster seed programs', clusterMissing())) {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster({
      queue: await redisDb(7),
      servers: 2,
      workers: 3,
      // Example 2 alone holds five executions at once.
      workerArgs: ['--concurrency', '4'],
      project: (dir) => (copyCatalogProject(dir), writeTestBlocks(dir)),
    });
  }, 90_000);
  afterAll(() => cluster?.close(), 60_000);

  const servers = (): SeedServers => ({ program: cluster!.servers[0]!, check: cluster!.servers[1]! });
  codeboltSeedSuite(servers);
  capabilitySeedSuite(servers);
  pipelineSeedSuite(servers);
}
