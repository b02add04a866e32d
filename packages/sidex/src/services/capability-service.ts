import type { CapabilityExecution } from '@sidex/protocol';
import type { Capability } from '../catalog/capabilities/capability.js';
import type { CapabilityCatalog } from '../catalog/capabilities/capability-catalog.js';
import { readSkillMd } from '../catalog/capabilities/skill-md.js';
import { applyInputs } from '../catalog/params/apply-inputs.js';
import type { Engine } from '../engine/engine.js';
import { STATUSES, isTerminal, type ExecutionRecord } from '../model/record.js';
import { SidexError } from '../errors.js';
import { capabilityExecution, isCapabilityRecord } from './capability/capability-execution.js';
import { capabilityRun } from './capability/capability-run.js';
import { ok, replying } from './replies.js';
import { CapabilityDetailInput, CapabilityExecutionIdInput, CapabilityFilterInput, StartCapabilityInput, StopCapabilityInput, type CapabilityFilterType } from './capability/capability-schemas.js';
import { startedReply, stopReply, type SideExecutionService } from './side-execution-service.js';
import { parseInput } from '../model/validation.js';

const ACTIVE = STATUSES.filter((s) => !isTerminal(s));
const PAGE = 1000;

/**
 * The Codebolt `capability` dialect in process (shared/PROTOCOLS.md §1):
 * skills, powers and talents from the catalog, each run by the executor that
 * supports its type as an execution with a `cap_` id. Replies carry their
 * fields flat and under `data`, as every dialect's do.
 */
export class CapabilityService {
  constructor(
    private readonly engine: Engine,
    private readonly catalog: CapabilityCatalog,
    /** Builds start specs and resumes executions the same way for every dialect. */
    private readonly sideExecutions: SideExecutionService,
  ) {}

  /** Capabilities of a type, carrying any of some tags, by an author (each optional); broken ones are `warnings`. */
  listCapabilities(filter?: unknown) {
    const type = 'listCapabilitiesResponse';
    return replying(type, async () => {
      const f: CapabilityFilterType = parseInput(CapabilityFilterInput, filter ?? {});
      const { capabilities, warnings } = this.catalog.list();
      const author = f.author?.toLowerCase();
      const matching = capabilities.filter(
        (c) =>
          (!f.type || c.type === f.type) &&
          (!f.tags || f.tags.length === 0 || f.tags.some((t) => c.metadata.tags?.includes(t))) &&
          (author === undefined || c.metadata.author?.toLowerCase() === author),
      );
      return ok(type, { capabilities: matching, warnings });
    });
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

  /**
   * One capability, with the executor that would run it (or why none would)
   * and, when it has a SKILL.md, its instructions.
   */
  getCapabilityDetail(capabilityName: unknown, capabilityType?: unknown) {
    const type = 'getCapabilityDetailResponse';
    return replying(type, async () => {
      const capability = this.find(capabilityName, capabilityType);
      let executor: { executorName: string } | { executorError: string };
      try {
        executor = { executorName: this.catalog.executorFor(capability).name };
      } catch (err) {
        executor = { executorError: (err as Error).message };
      }
      const instructions = capability.skillFile ? readSkillMd(capability.skillFile, []).instructions : undefined;
      return ok(type, { capability: { ...capability, ...executor, ...(instructions !== undefined ? { instructions } : {}) } });
    }, { capabilityName });
  }

  listExecutors() {
    const type = 'listExecutorsResponse';
    return replying(type, async () => {
      const { executors, warnings } = this.catalog.list();
      return ok(type, { executors, warnings });
    });
  }

  /**
   * Starts a capability on its executor; answers once it runs (or has failed
   * to start). Params are checked against its declared inputs first.
   */
  startCapability(capabilityName: unknown, capabilityType: unknown, params?: unknown, timeout?: unknown, options?: unknown) {
    const type = 'startCapabilityResponse';
    return replying(type, async () => {
      const input = parseInput(StartCapabilityInput, { capabilityName, capabilityType, params, timeout, options });
      const capability = this.catalog.find(input.capabilityName, input.capabilityType);
      const executor = this.catalog.executorFor(capability);
      const checked = applyInputs(input.params ?? {}, capability.metadata.inputs, `${capability.type} "${capability.name}"`);
      const run = capabilityRun(capability, executor, checked);
      const common = this.sideExecutions.common(run.params, input.timeout, input.options);
      const record = await this.engine.start({
        prefix: 'cap',
        kind: 'block',
        name: input.options?.name ?? capability.name,
        entry: run.entry,
        dir: run.dir,
        ...common,
        meta: { ...common.meta, ...run.meta },
      });
      return startedReply(type, record, 'executionId', { sideExecutionId: record.id, executorName: executor.name });
    }, { capabilityName });
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

  /**
   * The stop protocol, answered like a side execution's stop: `stopped`,
   * `already_stopped`, or `success: false` (ALREADY_FINISHED,
   * EXECUTION_NOT_FOUND), with `executionId` and `status`. `options`
   * (`graceMs`, `force`) is a sidex extension, as on side executions.
   */
  stopCapability(executionId: unknown, options?: unknown) {
    const type = 'stopCapabilityResponse';
    return replying(type, async () => {
      const input = parseInput(StopCapabilityInput, { executionId, options });
      const record = await this.record(input.executionId);
      return stopReply(type, await this.engine.stop(record.id, { ...input.options, reason: 'user' }), 'executionId');
    }, { executionId });
  }

  /** `execution` in Codebolt's shape; its fields are also flat and under `data` (`res.data.status`). */
  getExecutionStatus(executionId: unknown) {
    const type = 'getExecutionStatusResponse';
    return replying(type, async () => {
      const execution = capabilityExecution(await this.record(executionId));
      return ok(type, { execution, ...execution, executionId: execution.id });
    }, { executionId });
  }

  /** Capability executions not yet ended (starting, running, stopping). */
  getActiveExecutions() {
    const type = 'getActiveExecutionsResponse';
    return replying(type, async () => {
      const executions: CapabilityExecution[] = [];
      let cursor: string | undefined;
      do {
        const page = await this.engine.list({ idPrefix: 'cap', status: [...ACTIVE], limit: PAGE, ...(cursor ? { cursor } : {}) });
        executions.push(...page.items.filter(isCapabilityRecord).map(capabilityExecution));
        cursor = page.nextCursor;
      } while (cursor);
      return ok(type, { executions });
    });
  }

  /** Runs an ended capability execution's code again from its last checkpoint. */
  resume(executionId: unknown) {
    const type = 'resumeCapabilityResponse';
    return replying(type, async () => {
      const old = await this.record(executionId);
      const record = await this.sideExecutions.resumeRecord(old);
      return startedReply(type, record, 'executionId', { sideExecutionId: record.id, resumedFrom: old.id });
    }, { executionId });
  }

  private find(capabilityName: unknown, capabilityType: unknown): Capability {
    const input = parseInput(CapabilityDetailInput, { capabilityName, capabilityType });
    return this.catalog.find(input.capabilityName, input.capabilityType ?? undefined);
  }

  /** A capability execution by id; any other id (unknown, or a plain side execution) is EXECUTION_NOT_FOUND. */
  private async record(executionId: unknown): Promise<ExecutionRecord> {
    const { executionId: id } = parseInput(CapabilityExecutionIdInput, { executionId });
    const record = await this.engine.get(id);
    if (!record || !isCapabilityRecord(record)) {
      throw new SidexError('EXECUTION_NOT_FOUND', `no capability execution with id "${id}"`, { id });
    }
    return record;
  }
}
