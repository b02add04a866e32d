// The examples of seed 002 (capability.stopCapability), each a program
// whose only change is its import line, run as child processes against a real
// server whose project holds the capabilities they name.
import { copyCatalogProject } from '../../sidex/test/fixtures/projects/fixture-project.js';
import { startTestServer } from '../../sidex/test/helpers/server.js';
import { capabilitySeedSuite } from './capability-seeds-suite.js';
import { oneServer } from './helpers/seed-target.js';

const server = await startTestServer({ project: copyCatalogProject });

capabilitySeedSuite(() => oneServer(server));
