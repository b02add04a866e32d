// The examples of seed 001 (the Codebolt `sideExecution.stop` page) and
// seed 003's quick start, run against the in-process API.
import { sideExecutionSeedSuite, writeSeedBlocks } from './seeds-side-execution-suite.js';
import { makeSidex, tempDir } from './helpers/sidex.js';

const project = tempDir('sidex-seeds-');
writeSeedBlocks(project);

const sidex = makeSidex({ projectDir: project, engine: { sampleIntervalMs: 100 } });

sideExecutionSeedSuite(() => ({
  projectDir: project,
  sideExecution: sidex.sideExecution,
  wait: (id) => sidex.sideExecution.wait(id),
  list: (filter) => sidex.sideExecution.list(filter),
  markerOf: async (id) => (await sidex.engine.get(id))?.marker,
}));
