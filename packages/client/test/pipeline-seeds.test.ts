// The examples of seed 004 (RocketRide's terminate page), each a
// program whose only change is its import line, run as child processes
// against a real server.
import { startTestServer } from '../../sidex/test/helpers/server.js';
import { oneServer } from './helpers/seed-target.js';
import { pipelineSeedSuite } from './pipeline-seeds-suite.js';

const server = await startTestServer();

pipelineSeedSuite(() => oneServer(server));
