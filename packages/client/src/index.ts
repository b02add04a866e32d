export { SidexClient, type SidexClientOptions } from './client.js';
export { SidexClientError } from './errors.js';
export type { EventName, EventOf } from './events.js';
export type { SideExecutionApi } from './side-execution.js';
export type { ActionBlockApi } from './action-block.js';
export * from './types.js';
