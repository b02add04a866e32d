import path from 'node:path';
import type { ActionBlock, HistoryEvent, ProcessInfo } from '@sidex/protocol';
import type { ActionBlockCatalog, BlockListing } from '../catalog/action-blocks/action-block-catalog.js';
import { applyInputs } from '../catalog/params/apply-inputs.js';
import { callerMeta } from './caller-meta.js';
import { checkedNetwork } from './network-option.js';
import { scheduleOf } from './schedule-option.js';
import { CODEBOLT_META, type CodeboltBlocks } from './codebolt/codebolt-blocks.js';
import { resumeSpec } from './resume.js';
import type { EngineEvents, StopOutcome } from '../engine/engine.js';
import type { ExecutionEngine } from '../engine/execution-engine.js';
import type { StartSpec } from '../engine/execution.js';
import type { LogFrame } from '../engine/output/log-format.js';
import type { ExecutionRecord, ExecutionStatus } from '../model/record.js';
import type { ListPage } from '../store/execution-store.js';
import { SidexError } from '../errors.js';
import type { EventsQueryType, ListInputType, StartOptionsInput, StopOptionsInput } from './schemas.js';
import { checkParams } from '../model/validation.js';
import { bytesOfMb } from '../engine/limits/limit-bounds.js';

export interface SideExecutionLimits {
  /** Largest params accepted, as JSON bytes. */
  maxParamsBytes: number;
}

export const DEFAULT_LIMITS: SideExecutionLimits = { maxParamsBytes: 8 * 1024 * 1024 };

export type ServiceEvent = keyof EngineEvents;

/** What every start takes besides its code: parsed by the dialect that received it. */
export interface StartCommon {
  params?: Record<string, unknown> | null | undefined;
  timeout?: number | null | undefined;
  options?: StartOptionsInput | undefined;
}

/** One start: inline code or an action block (a directory, or a catalog name). */
export type StartInput = (StartCommon & { code: string }) | (StartCommon & { blockPath: string });

/**
 * Side executions (seeds 000/001/003), in process and dialect-free: typed
 * inputs, records and outcomes back, a SidexError when something is wrong.
 * Every dialect parses its own fields, calls this, and shapes its replies;
 * none reaches past it into the engine.
 */
export class SideExecutionService {
  constructor(
    private readonly engine: ExecutionEngine,
    private readonly blocks: ActionBlockCatalog,
    private readonly limits: SideExecutionLimits = DEFAULT_LIMITS,
    /** Runs Codebolt-built blocks; without it they are refused. */
    private readonly codebolt: CodeboltBlocks,
  ) {}

  /** Starts inline code or a block; answers with its record once it runs (or has failed to start). */
  async start(input: StartInput): Promise<ExecutionRecord> {
    if ('code' in input) {
      return this.engine.start({ prefix: 'side', kind: 'inline', name: input.options?.name ?? 'inline', code: input.code, ...this.common(input.params, input.timeout, input.options) });
    }
    const block = this.blocks.resolvePathOrName(input.blockPath);
    return this.engine.start(this.blockSpec(block, input.params, input.timeout, input.options));
  }

  /** The spec of a block run: shared by path and by-name starts. */
  blockSpec(block: ActionBlock, params: Record<string, unknown> | null | undefined, timeout: number | null | undefined, options?: StartOptionsInput, prefix: StartSpec['prefix'] = 'side'): StartSpec {
    const checked = applyInputs(params ?? {}, block.metadata.inputs, `action block "${block.name}"`);
    const spec: StartSpec = {
      prefix,
      kind: 'block',
      name: options?.name ?? block.name,
      entry: path.resolve(block.path, block.entryPoint),
      dir: block.path,
      ...this.common(checked, timeout, options),
    };
    // A Codebolt-built block gets Codebolt's environment and a token for its WebSocket.
    return block.protocol === 'codebolt' ? this.codebolt.prepare(spec) : spec;
  }

  /**
   * Starts the same code again, with ctx.resumeFrom set to the last
   * checkpoint of `id` (which must have ended); the new record's
   * `resumedFrom` names the old one.
   */
  async resume(id: string): Promise<ExecutionRecord> {
    return this.resumeRecord(await this.getStatus(id));
  }

  /** Starts the code of an ended execution again from its last checkpoint (every dialect's resume). */
  resumeRecord(old: ExecutionRecord): Promise<ExecutionRecord> {
    const spec = resumeSpec(old);
    return this.engine.start(old.meta[CODEBOLT_META] ? this.codebolt.prepare(spec) : spec);
  }

  /** The record of `id`; EXECUTION_NOT_FOUND if there is none. */
  async getStatus(id: string): Promise<ExecutionRecord> {
    const record = await this.engine.get(id);
    if (!record) throw new SidexError('EXECUTION_NOT_FOUND', `no execution with id "${id}"`, { id });
    return record;
  }

  /** The stop protocol; answers when no process of the tree remains. */
  stop(id: string, options: StopOptionsInput = {}): Promise<StopOutcome> {
    return this.engine.stop(id, { ...options, reason: 'user' });
  }

  listActionBlocks(projectPath?: string): BlockListing {
    return this.blocks.list(projectPath);
  }

  list(f: ListInputType): Promise<ListPage> {
    return this.engine.list({
      ...(f.status ? { status: Array.isArray(f.status) ? f.status : [f.status] } : {}),
      ...(f.kind ? { kind: f.kind } : {}),
      ...(f.type ? { idPrefix: f.type } : {}),
      ...(f.name ? { name: f.name } : {}),
      ...(f.q ? { nameContains: f.q } : {}),
      ...(f.since !== undefined ? { since: f.since } : {}),
      ...(f.until !== undefined ? { until: f.until } : {}),
      ...(f.limit !== undefined ? { limit: f.limit } : {}),
      ...(f.cursor ? { cursor: f.cursor } : {}),
    });
  }

  /** How many executions there are in each status. */
  counts(): Promise<Record<ExecutionStatus, number>> {
    // The engine persists every transition before anyone hears of it: the store's counts are current.
    return this.engine.store.counts();
  }

  /** The execution's history: transitions, checkpoints and stop requests, oldest first. */
  /** The processes of its tree now: none once it has ended. */
  async processes(id: string): Promise<{ record: ExecutionRecord; processes: ProcessInfo[] }> {
    const record = await this.getStatus(id);
    return { record, processes: (await this.engine.processes(record.id)) ?? [] };
  }

  async events(id: string, query: EventsQueryType = {}): Promise<{ record: ExecutionRecord; events: HistoryEvent[] }> {
    const record = await this.getStatus(id);
    return { record, events: await this.engine.store.events(record.id, query) };
  }

  /** Resolves with the record once the execution is terminal. */
  wait(id: string): Promise<ExecutionRecord> {
    return this.engine.wait(id);
  }

  /** The execution's output, in order, as text (bytes that are not UTF-8 show as U+FFFD); with follow, until it ends. */
  async *logs(id: string, options: { follow?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<{ stream: 'stdout' | 'stderr'; data: string; time: number }> {
    for await (const frame of this.logBytes(id, options)) {
      yield { stream: frame.stream, data: frame.data.toString('utf8'), time: frame.time };
    }
  }

  /** The execution's output as the log keeps it, byte for byte; with follow, until it ends. */
  logBytes(id: string, options: { follow?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<LogFrame> {
    return this.engine.logs(id, options);
  }

  /** Subscribes to engine events; returns the unsubscribe function. */
  on<E extends ServiceEvent>(event: E, listener: (...args: EngineEvents[E]) => void): () => void {
    const engine = this.engine as unknown as NodeJS.EventEmitter;
    engine.on(event, listener as (...args: unknown[]) => void);
    return () => engine.off(event, listener as (...args: unknown[]) => void);
  }

  /** The part of a start spec every dialect builds the same way from params, timeout and options. */
  common(
    params: Record<string, unknown> | null | undefined,
    timeout: number | null | undefined,
    options: StartOptionsInput | undefined,
  ): Omit<StartSpec, 'prefix' | 'kind' | 'name'> {
    const checked = params ?? {};
    checkParams(checked, this.limits.maxParamsBytes);
    const opts = options;
    return {
      params: checked,
      ...(timeout ? { timeoutMs: timeout } : {}),
      ...(opts?.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
      ...(opts?.memoryLimitMb ? { memoryLimitBytes: bytesOfMb(opts.memoryLimitMb) } : {}),
      ...(opts?.outputLimitMb ? { outputLimitBytes: bytesOfMb(opts.outputLimitMb) } : {}),
      ...(opts?.pidsLimit !== undefined ? { pidsLimit: opts.pidsLimit } : {}),
      ...(opts?.cpuLimit !== undefined ? { cpuLimit: opts.cpuLimit } : {}),
      ...(opts?.env ? { env: opts.env } : {}),
      ...(opts?.network ? { network: checkedNetwork(opts.network) } : {}),
      ...scheduleOf(opts),
      ...(opts?.filename !== undefined ? { filename: opts.filename } : {}),
      meta: callerMeta(opts),
    };
  }
}
