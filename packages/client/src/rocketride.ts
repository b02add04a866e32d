// `import { RocketRideClient } from '@sidex/client/rocketride'`: sidex's
// PipelineClient under RocketRide's name, so that a program written for
// RocketRide's TypeScript client runs after changing only its import line.
// Like RocketRide's client it reads ROCKETRIDE_URI and ROCKETRIDE_APIKEY from
// the environment (and sidex's SIDEX_URL and SIDEX_API_KEY).
import { PipelineClient } from './pipeline-client.js';

export { PipelineClient as RocketRideClient, type PipelineClientConfig as RocketRideClientConfig } from './pipeline-client.js';
export { DataPipe } from './data-pipe.js';
export { PipelineError } from './pipeline-error.js';
export * from '@sidex/protocol/rocketride';
export default PipelineClient;
