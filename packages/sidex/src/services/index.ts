import type { ActionBlockService } from './action-block-service.js';
import type { CapabilityService } from './capability-service.js';
import type { CommandService } from './command-service.js';
import type { PipelineService } from './pipeline-service.js';
import type { SideExecutionService } from './side-execution-service.js';
import type { WorkersService } from './workers-service.js';

export { SideExecutionService, DEFAULT_LIMITS, type SideExecutionLimits, type StartInput, type StartCommon } from './side-execution-service.js';
export { ActionBlockService } from './action-block-service.js';
export { CapabilityService, type StartCapability, type CapabilityDetail } from './capability-service.js';
export { WorkersService } from './workers-service.js';
export { CommandService, type StartCommand, type WriteStdin, type StdinWritten } from './command-service.js';
export type { CapabilityExecution, CapabilityStatus } from '@sidex/protocol';
export type { ExecutorInput } from './capability/capability-run.js';
export { CodeboltBlocks, type ActionBlockInvocation } from './codebolt/codebolt-blocks.js';
export type { CodeboltSocket } from './codebolt/codebolt-env.js';
export { statusFields } from './status-fields.js';
export type { StatusFields } from '@sidex/protocol';
export * as schemas from './schemas.js';
export { PipelineService, DEFAULT_PIPELINE_LIMITS, TASK_HOST_ENTRY, type PipelineLimits } from './pipeline-service.js';
export type * from './pipeline/inputs.js';
export type { UseResult as UseReply, TaskSummary } from '@sidex/protocol';

/** The dialect-free services every transport calls. */
export interface DialectServices {
  sideExecution: SideExecutionService;
  actionBlock: ActionBlockService;
  capability: CapabilityService;
  /** Commands: any program, run as an execution. */
  commands: CommandService;
  /** RocketRide pipelines and their tasks (DAP, /task). */
  pipelines: PipelineService;
  /** Who runs the executions: a cluster's workers and queues, or the one engine. */
  workers: WorkersService;
}
