export { SidexClient, type SidexClientOptions, type CallerIds } from './client.js';
export { SidexClientError } from './errors.js';
export type { EventName, EventOf } from './events.js';
export type { CommandOptions, SideExecutionApi } from './side-execution.js';
export type { ActionBlockApi } from './action-block.js';
export type { CapabilityApi } from './capability.js';
export { PipelineClient, serviceUrl, type PipelineClientConfig } from './pipeline-client.js';
export { DataPipe } from './data-pipe.js';
export { PipelineError } from './pipeline-error.js';
// The protocol package holds the wire contract; the SDK's users import it from here.
export * from '@sidex/protocol';
