// The examples of seed 004 (the RocketRide `terminate` page), run
// against the in-process PipelineService.
import { makeSidex } from './helpers/sidex.js';
import { ownedDir } from './helpers/pipelines.js';
import { pipelineSeedSuite, readSeedPipeline, writeSeedPipelines } from './pipeline-seeds-suite.js';

const dir = ownedDir('sidex-seed-004-');
writeSeedPipelines(dir);

// The server's drain deadline is shortened (as a sidex server may be configured).
const sidex = makeSidex({ pipelines: { defaultDrainMs: 200 } });

pipelineSeedSuite(() => ({
  client: (log) => {
    const pipelines = sidex.pipelines;
    return {
      connect: async () => {},
      disconnect: async () => {},
      use: ({ filepath, ...options }) => pipelines.use({ pipeline: readSeedPipeline(dir, filepath), ...options }),
      send: (token, data) => pipelines.send(token, data),
      terminate: async (token) => {
        await pipelines.terminate(token);
      },
      get_task_status: (token) => pipelines.getTaskStatus(token),
      print: (line) => log.push(line),
    };
  },
  markerOf: async (id) => (await sidex.engine.get(id))?.marker,
}));
