// The examples of seed 000, 001 and 003, each a program whose only
// change is its import line, run as child processes against a real server.
import { writeTestBlocks } from '../../sidex/test/fixtures/blocks.js';
import { startTestServer } from '../../sidex/test/helpers/server.js';
import { oneServer } from './helpers/seed-target.js';
import { codeboltSeedSuite } from './seeds-suite.js';

const server = await startTestServer({ project: writeTestBlocks });

codeboltSeedSuite(() => oneServer(server));
