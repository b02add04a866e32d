import type { CapabilityReplies } from '../../replies/capability-replies.js';
import { withCaller, type Caller } from '../caller.js';
import { CapabilityDetailFields, CapabilityFilterField, ExecutionIdField, StartCapabilityFields, StopCapabilityFields } from '../inputs.js';
import { flat } from './flat.js';
import { parsed } from './parsed.js';

/**
 * `codebolt.capability` in process, and what a `/codebolt` connection calls
 * for its frames: the SDK's methods and argument names, parsed here, answered
 * with Codebolt's envelopes.
 */
export class CapabilityApi {
  constructor(
    private readonly replies: CapabilityReplies,
    private readonly caller: Caller = {},
  ) {}

  /** Capabilities of a type, carrying any of some tags, by an author (each optional); broken ones are `warnings`. */
  listCapabilities(filter?: unknown) {
    return parsed('listCapabilitiesResponse', CapabilityFilterField, () => ({ filter }), (f) => this.replies.listCapabilities(f.filter ?? {}));
  }

  listSkills() {
    return this.listCapabilities({ type: 'skill' });
  }

  listPowers() {
    return this.listCapabilities({ type: 'power' });
  }

  listTalents() {
    return this.listCapabilities({ type: 'talent' });
  }

  getCapabilitiesByTag(tag: unknown) {
    return this.listCapabilities({ tags: [tag] });
  }

  getCapabilitiesByAuthor(author: unknown) {
    return this.listCapabilities({ author });
  }

  getCapabilityDetail(capabilityName: unknown, capabilityType?: unknown) {
    return parsed(
      'getCapabilityDetailResponse',
      CapabilityDetailFields,
      () => ({ capabilityName, capabilityType }),
      (f) => this.replies.getCapabilityDetail(f.capabilityName, f.capabilityType ?? undefined),
      { capabilityName },
    );
  }

  listExecutors() {
    return this.replies.listExecutors();
  }

  startCapability(capabilityName: unknown, capabilityType: unknown, params?: unknown, timeout?: unknown, options?: unknown) {
    return parsed(
      'startCapabilityResponse',
      StartCapabilityFields,
      () => ({ capabilityName, capabilityType, params, timeout, options }),
      (input) => this.replies.startCapability({ ...input, options: withCaller(input.options, this.caller) }),
      { capabilityName },
    );
  }

  startSkill(name: unknown, params?: unknown, timeout?: unknown, options?: unknown) {
    return this.startCapability(name, 'skill', params, timeout, options);
  }

  startPower(name: unknown, params?: unknown, timeout?: unknown, options?: unknown) {
    return this.startCapability(name, 'power', params, timeout, options);
  }

  startTalent(name: unknown, params?: unknown, timeout?: unknown, options?: unknown) {
    return this.startCapability(name, 'talent', params, timeout, options);
  }

  /** The stop protocol; `options` (graceMs, force, a sidex extension) go flat on the frame. */
  stopCapability(executionId: unknown, options?: unknown) {
    return parsed(
      'stopCapabilityResponse',
      StopCapabilityFields,
      () => ({ ...flat(options, 'graceMs, force'), executionId }),
      ({ executionId: id, ...stop }) => this.replies.stopCapability(id, stop),
      { executionId },
    );
  }

  getExecutionStatus(executionId: unknown) {
    return this.byId('getExecutionStatusResponse', executionId, (id) => this.replies.getExecutionStatus(id));
  }

  getActiveExecutions() {
    return this.replies.getActiveExecutions();
  }

  /** Runs an ended capability execution's code again from its last checkpoint. */
  resume(executionId: unknown) {
    return this.byId('resumeCapabilityResponse', executionId, (id) => this.replies.resume(id));
  }

  private byId<R>(type: string, executionId: unknown, reply: (id: string) => Promise<R>) {
    return parsed(type, ExecutionIdField, () => ({ executionId }), (f) => reply(f.executionId), { executionId });
  }
}
