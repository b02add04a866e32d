// The examples of seed 002 (the Codebolt `capability.stopCapability`
// page), run against the in-process CapabilityService.
import { isTerminal } from '../dist/index.js';
import { capabilitySeedSuite } from './capability-seeds-suite.js';
import { fixtureProject } from './fixtures/projects/fixture-project.js';
import { makeSidex } from './helpers/sidex.js';

const fx = fixtureProject();
const sidex = makeSidex({ projectDir: fx.project, globalDir: fx.global });

capabilitySeedSuite(() => ({
  capability: sidex.capability,
  isReady: async (id) => {
    const record = await sidex.engine.get(id);
    return record !== undefined && (record.stdout.text.includes('ready') || isTerminal(record.status));
  },
  markerOf: async (id) => (await sidex.engine.get(id))?.marker,
}));
