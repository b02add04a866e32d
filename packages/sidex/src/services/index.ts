export { SideExecutionService, DEFAULT_LIMITS, type SideExecutionLimits, stopReply, startedReply } from './side-execution-service.js';
export { ActionBlockService } from './action-block-service.js';
export { CapabilityService } from './capability-service.js';
export type { CapabilityExecution, CapabilityStatus } from './capability/capability-execution.js';
export type { ExecutorInput } from './capability/capability-run.js';
export { ok, fail, replying, type Reply, type OkReply, type FailReply } from './replies.js';
export { statusFields, type StatusFields } from './status-fields.js';
export * as schemas from './schemas.js';
export { PipelineService, DEFAULT_PIPELINE_LIMITS, TASK_HOST_ENTRY, type PipelineLimits, type UseReply, type TaskSummary } from './pipeline-service.js';
