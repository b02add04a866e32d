import type { CapabilityType } from '../../catalog/capabilities/capability.js';
import type { CapabilityFilterType } from '../../services/capability/capability-schemas.js';
import type { CapabilityService, StartCapability } from '../../services/capability-service.js';
import type { StopOptionsInput } from '../../services/schemas.js';
import { metaString } from '../../services/caller-meta.js';
import { ok, replying } from './envelope.js';
import { startedReply, stopReply } from './side-execution-replies.js';

/**
 * The Codebolt-shaped replies of the capability dialect, from typed inputs
 * (the Codebolt dialect's and REST's). Fields flat and under `data`; never
 * throws.
 */
export class CapabilityReplies {
  constructor(readonly service: CapabilityService) {}

  listCapabilities(filter?: CapabilityFilterType) {
    const type = 'listCapabilitiesResponse';
    return replying(type, async () => ok(type, this.service.listCapabilities(filter)));
  }

  getCapabilityDetail(capabilityName: string, capabilityType?: CapabilityType) {
    const type = 'getCapabilityDetailResponse';
    return replying(type, async () => ok(type, { capability: this.service.getCapabilityDetail(capabilityName, capabilityType) }), { capabilityName });
  }

  listExecutors() {
    const type = 'listExecutorsResponse';
    return replying(type, async () => ok(type, this.service.listExecutors()));
  }

  startCapability(input: StartCapability) {
    const type = 'startCapabilityResponse';
    return replying(type, async () => {
      const { record, executor } = await this.service.startCapability(input);
      return startedReply(type, record, 'executionId', { sideExecutionId: record.id, executorName: executor.name });
    }, { capabilityName: input.capabilityName });
  }

  /**
   * Answered like a side execution's stop: `stopped`, `already_stopped`, or
   * `success: false` (ALREADY_FINISHED, EXECUTION_NOT_FOUND), with
   * `executionId` and `status`.
   */
  stopCapability(executionId: string, options?: StopOptionsInput) {
    const type = 'stopCapabilityResponse';
    return replying(type, async () => stopReply(type, await this.service.stopCapability(executionId, options), 'executionId'), { executionId });
  }

  /** `execution` in Codebolt's shape; its fields are also flat and under `data` (`res.data.status`). */
  getExecutionStatus(executionId: string) {
    const type = 'getExecutionStatusResponse';
    return replying(type, async () => {
      const execution = await this.service.getExecutionStatus(executionId);
      return ok(type, { execution, ...execution, executionId: execution.id });
    }, { executionId });
  }

  getActiveExecutions() {
    const type = 'getActiveExecutionsResponse';
    return replying(type, async () => ok(type, { executions: await this.service.getActiveExecutions() }));
  }

  resume(executionId: string) {
    const type = 'resumeCapabilityResponse';
    return replying(type, async () => {
      const record = await this.service.resume(executionId);
      // Named as a start's reply names it: the resumed execution runs on the same executor.
      const executorName = metaString(record.meta, 'executorName');
      return startedReply(type, record, 'executionId', { sideExecutionId: record.id, resumedFrom: executionId, ...(executorName ? { executorName } : {}) });
    }, { executionId });
  }
}
