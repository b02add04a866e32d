import type { CapabilityExecution } from '@sidex/protocol';
import type { Capability, CapabilityExecutor, CapabilityType } from '../catalog/capabilities/capability.js';
import type { CapabilityCatalog, CapabilityListing } from '../catalog/capabilities/capability-catalog.js';
import { readSkillMd } from '../catalog/capabilities/skill-md.js';
import { applyInputs } from '../catalog/params/apply-inputs.js';
import type { Engine, StopOutcome } from '../engine/engine.js';
import { STATUSES, isTerminal, type ExecutionRecord } from '../model/record.js';
import { SidexError } from '../errors.js';
import { capabilityExecution, isCapabilityRecord } from './capability/capability-execution.js';
import { capabilityRun } from './capability/capability-run.js';
import type { CapabilityFilterType } from './capability/capability-schemas.js';
import type { StartCommon, SideExecutionService } from './side-execution-service.js';
import type { StopOptionsInput } from './schemas.js';

const ACTIVE = STATUSES.filter((s) => !isTerminal(s));
const PAGE = 1000;

/** One capability as its detail shows it: with the executor that would run it (or why none would) and its SKILL.md instructions. */
export type CapabilityDetail = Capability & ({ executorName: string } | { executorError: string }) & { instructions?: string };

/** What a dialect asks to start: a capability by name and type, with the common start fields. */
export type StartCapability = StartCommon & { capabilityName: string; capabilityType: CapabilityType };

/**
 * Capabilities (shared/PROTOCOLS.md §1), dialect-free: skills, powers and
 * talents from the catalog, each run by the executor that supports its type
 * as an execution with a `cap_` id.
 */
export class CapabilityService {
  constructor(
    private readonly engine: Engine,
    private readonly catalog: CapabilityCatalog,
    /** Builds start specs and resumes executions the same way for every dialect. */
    private readonly sideExecutions: SideExecutionService,
  ) {}

  /** Capabilities of a type, carrying any of some tags, by an author (each optional); broken ones are `warnings`. */
  listCapabilities(f: CapabilityFilterType = {}): Pick<CapabilityListing, 'capabilities' | 'warnings'> {
    const { capabilities, warnings } = this.catalog.list();
    const author = f.author?.toLowerCase();
    const matching = capabilities.filter(
      (c) =>
        (!f.type || c.type === f.type) &&
        (!f.tags || f.tags.length === 0 || f.tags.some((t) => c.metadata.tags?.includes(t))) &&
        (author === undefined || c.metadata.author?.toLowerCase() === author),
    );
    return { capabilities: matching, warnings };
  }

  /** One capability, with the executor that would run it (or why none would) and, when it has a SKILL.md, its instructions. */
  getCapabilityDetail(name: string, type?: CapabilityType): CapabilityDetail {
    const capability = this.catalog.find(name, type);
    let executor: { executorName: string } | { executorError: string };
    try {
      executor = { executorName: this.catalog.executorFor(capability).name };
    } catch (err) {
      executor = { executorError: (err as Error).message };
    }
    const instructions = capability.skillFile ? readSkillMd(capability.skillFile, []).instructions : undefined;
    return { ...capability, ...executor, ...(instructions !== undefined ? { instructions } : {}) };
  }

  listExecutors(): Pick<CapabilityListing, 'executors' | 'warnings'> {
    const { executors, warnings } = this.catalog.list();
    return { executors, warnings };
  }

  /**
   * Starts a capability on its executor; answers once it runs (or has failed
   * to start). Params are checked against its declared inputs first.
   */
  async startCapability(input: StartCapability): Promise<{ record: ExecutionRecord; executor: CapabilityExecutor }> {
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
    return { record, executor };
  }

  /** The stop protocol, as for a side execution; only capability executions are found. */
  async stopCapability(executionId: string, options: StopOptionsInput = {}): Promise<StopOutcome> {
    const record = await this.record(executionId);
    return this.engine.stop(record.id, { ...options, reason: 'user' });
  }

  /** A capability execution in Codebolt's shape. */
  async getExecutionStatus(executionId: string): Promise<CapabilityExecution> {
    return capabilityExecution(await this.record(executionId));
  }

  /** Capability executions not yet ended (starting, running, stopping). */
  async getActiveExecutions(): Promise<CapabilityExecution[]> {
    const executions: CapabilityExecution[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.engine.list({ idPrefix: 'cap', status: [...ACTIVE], limit: PAGE, ...(cursor ? { cursor } : {}) });
      executions.push(...page.items.filter(isCapabilityRecord).map(capabilityExecution));
      cursor = page.nextCursor;
    } while (cursor);
    return executions;
  }

  /** Runs an ended capability execution's code again from its last checkpoint; the new record. */
  async resume(executionId: string): Promise<ExecutionRecord> {
    return this.sideExecutions.resumeRecord(await this.record(executionId));
  }

  /** A capability execution by id; any other id (unknown, or a plain side execution) is EXECUTION_NOT_FOUND. */
  private async record(id: string): Promise<ExecutionRecord> {
    const record = await this.engine.get(id);
    if (!record || !isCapabilityRecord(record)) {
      throw new SidexError('EXECUTION_NOT_FOUND', `no capability execution with id "${id}"`, { id });
    }
    return record;
  }
}
