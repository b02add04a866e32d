import type { Connection } from './connection.js';
import type {
  CapabilityDetail,
  CapabilityExecution,
  CapabilityExecutor,
  CapabilityFilter,
  Capability,
  CapabilityType,
  CatalogWarning,
  ExecutionStatusFields,
  Reply,
  StartCapabilityFields,
  StartOptions,
  StopCapabilityFields,
  StopOptions,
} from '@sidex/protocol';

const TYPE = 'capability';

type Listing = Reply<{ capabilities: Capability[]; warnings: CatalogWarning[] }>;

/**
 * `codebolt.capability`: skills, powers and talents, with the names and
 * argument orders of Codebolt's SDK; each start answers once the execution
 * runs, with its `executionId`.
 */
export class CapabilityApi {
  constructor(private readonly connection: Connection) {}

  listCapabilities(filter?: CapabilityFilter): Promise<Listing> {
    return this.connection.request({ type: TYPE, action: 'listCapabilities', filter });
  }

  listCapabilitiesByType(capabilityType: CapabilityType): Promise<Listing> {
    return this.listCapabilities({ type: capabilityType });
  }

  listSkills(): Promise<Listing> {
    return this.listCapabilitiesByType('skill');
  }

  listPowers(): Promise<Listing> {
    return this.listCapabilitiesByType('power');
  }

  listTalents(): Promise<Listing> {
    return this.listCapabilitiesByType('talent');
  }

  getCapabilitiesByTag(tag: string): Promise<Listing> {
    return this.listCapabilities({ tags: [tag] });
  }

  getCapabilitiesByAuthor(author: string): Promise<Listing> {
    return this.listCapabilities({ author });
  }

  getCapabilityDetail(capabilityName: string, capabilityType?: CapabilityType): Promise<Reply<{ capability: CapabilityDetail }>> {
    return this.connection.request({ type: TYPE, action: 'getCapabilityDetail', capabilityName, capabilityType });
  }

  listExecutors(): Promise<Reply<{ executors: CapabilityExecutor[]; warnings: CatalogWarning[] }>> {
    return this.connection.request({ type: TYPE, action: 'listExecutors' });
  }

  /** Starts a capability on the executor that supports its type; `options` is sidex's (thread, env, memory limit...). */
  startCapability(
    capabilityName: string,
    capabilityType: CapabilityType,
    params?: Record<string, unknown>,
    timeout?: number,
    options?: StartOptions,
  ): Promise<Reply<StartCapabilityFields>> {
    return this.connection.request({ type: TYPE, action: 'startCapability', capabilityName, capabilityType, params, timeout, options });
  }

  startSkill(skillName: string, params?: Record<string, unknown>, timeout?: number, options?: StartOptions): Promise<Reply<StartCapabilityFields>> {
    return this.startCapability(skillName, 'skill', params, timeout, options);
  }

  startPower(powerName: string, params?: Record<string, unknown>, timeout?: number, options?: StartOptions): Promise<Reply<StartCapabilityFields>> {
    return this.startCapability(powerName, 'power', params, timeout, options);
  }

  startTalent(talentName: string, params?: Record<string, unknown>, timeout?: number, options?: StartOptions): Promise<Reply<StartCapabilityFields>> {
    return this.startCapability(talentName, 'talent', params, timeout, options);
  }

  /** The stop protocol; answers when no process of it remains (`options` is a sidex extension). */
  stopCapability(executionId: string, options?: StopOptions): Promise<Reply<StopCapabilityFields>> {
    return this.connection.request({ type: TYPE, action: 'stopCapability', executionId, ...options });
  }

  getExecutionStatus(executionId: string): Promise<Reply<ExecutionStatusFields>> {
    return this.connection.request({ type: TYPE, action: 'getExecutionStatus', executionId });
  }

  /** Capability executions that have not ended. */
  getActiveExecutions(): Promise<Reply<{ executions: CapabilityExecution[] }>> {
    return this.connection.request({ type: TYPE, action: 'getActiveExecutions' });
  }

  /** Runs an ended capability execution again from its last checkpoint (a sidex extension). */
  resume(executionId: string): Promise<Reply<StartCapabilityFields & { resumedFrom: string }>> {
    return this.connection.request({ type: TYPE, action: 'resumeCapability', executionId });
  }
}
