import path from 'node:path';
import type { ActionBlock, StatusFields, StopCapabilityFields, StopFields } from '@sidex/protocol';
import type { ActionBlockCatalog } from '../catalog/action-blocks/action-block-catalog.js';
import { applyInputs } from '../catalog/params/apply-inputs.js';
import { callerMeta } from './caller-meta.js';
import { checkedNetwork } from './network-option.js';
import { CODEBOLT_META, type CodeboltBlocks } from './codebolt/codebolt-blocks.js';
import { resumeSpec } from './resume.js';
import type { Engine, EngineEvents, StopOutcome } from '../engine/engine.js';
import type { StartSpec } from '../engine/execution.js';
import type { LogFrame } from '../engine/output/log-format.js';
import { isTerminal, type ExecutionRecord } from '../model/record.js';
import { SidexError } from '../errors.js';
import { fail, ok, replying, type Reply } from './replies.js';
import { EventsQuery, ListInput, StartWithBlockInput, StartWithCodeInput, StopInput, ExecutionIdInput, type ListInputType, type StartOptionsInput } from './schemas.js';
import { statusFields } from './status-fields.js';
import { checkParams, parseInput } from '../model/validation.js';

export interface SideExecutionLimits {
  /** Largest params accepted, as JSON bytes. */
  maxParamsBytes: number;
}

export const DEFAULT_LIMITS: SideExecutionLimits = { maxParamsBytes: 8 * 1024 * 1024 };

/** The capability dialect adds its name for the id. */
export type StopReplyFields = StopFields & Partial<Pick<StopCapabilityFields, 'executionId'>>;

export type ServiceEvent = keyof EngineEvents;

/**
 * The side-execution API of seeds 000/001/003, in process. Every transport
 * calls this; none reaches past it into the engine.
 */
export class SideExecutionService {
  constructor(
    private readonly engine: Engine,
    private readonly blocks: ActionBlockCatalog,
    private readonly limits: SideExecutionLimits = DEFAULT_LIMITS,
    /** Runs Codebolt-built blocks; without it they are refused. */
    private readonly codebolt: CodeboltBlocks,
  ) {}

  startWithCode(code: unknown, params?: unknown, timeout?: unknown, options?: unknown) {
    return replying('startSideExecutionResponse', async () => {
      const input = parseInput(StartWithCodeInput, { code, params, timeout, options });
      const spec: StartSpec = {
        prefix: 'side',
        kind: 'inline',
        name: input.options?.name ?? 'inline',
        code: input.code,
        ...this.common(input.params, input.timeout, input.options),
      };
      return this.started(await this.engine.start(spec));
    });
  }

  startWithActionBlock(blockPath: unknown, params?: unknown, timeout?: unknown, options?: unknown) {
    return replying('startSideExecutionResponse', async () => {
      const input = parseInput(StartWithBlockInput, { path: blockPath, params, timeout, options });
      const block = this.blocks.resolvePathOrName(input.path);
      return this.started(await this.engine.start(this.blockSpec(block, input.params, input.timeout, input.options)));
    });
  }

  /**
   * The dialect's one start (`startSideExecution`, `POST /v1/executions`):
   * inline code or an action block path, exactly one of them.
   */
  start(fields: { inlineCode?: unknown; actionBlockPath?: unknown; params?: unknown; timeout?: unknown; options?: unknown }) {
    const hasCode = fields.inlineCode !== undefined && fields.inlineCode !== null;
    const hasPath = fields.actionBlockPath !== undefined && fields.actionBlockPath !== null;
    if (hasCode === hasPath) {
      const message = hasCode ? 'give either inlineCode or actionBlockPath, not both' : 'inlineCode or actionBlockPath is required';
      return Promise.resolve(fail('startSideExecutionResponse', new SidexError('INVALID_ARGUMENT', message, { field: 'inlineCode' })));
    }
    return hasCode
      ? this.startWithCode(fields.inlineCode, fields.params, fields.timeout, fields.options)
      : this.startWithActionBlock(fields.actionBlockPath, fields.params, fields.timeout, fields.options);
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
  resume(id: unknown) {
    const type = 'resumeSideExecutionResponse';
    return replying(type, async () => {
      const old = await this.record(id);
      return startedReply(type, await this.resumeRecord(old), 'sideExecutionId', { resumedFrom: old.id });
    }, { sideExecutionId: id });
  }

  /** Starts the code of an ended execution again from its last checkpoint (every dialect's resume). */
  resumeRecord(old: ExecutionRecord): Promise<ExecutionRecord> {
    const spec = resumeSpec(old);
    return this.engine.start(old.meta[CODEBOLT_META] ? this.codebolt.prepare(spec) : spec);
  }

  getStatus(id: unknown) {
    return replying('getSideExecutionStatusResponse', async () => {
      const record = await this.record(id);
      return ok<StatusFields>('getSideExecutionStatusResponse', statusFields(record));
    }, { sideExecutionId: id });
  }

  /**
   * The stop protocol; answers when no process of the tree remains. Stopping a
   * stopped execution answers `already_stopped`; one that finished otherwise
   * answers `success: false` with its status.
   */
  stop(id: unknown, options?: unknown): Promise<Reply<StopReplyFields>> {
    const type = 'stopSideExecutionResponse';
    return replying(type, async () => {
      const input = parseInput(StopInput, { id, options });
      const outcome = await this.engine.stop(input.id, { ...input.options, reason: 'user' });
      return stopReply(type, outcome);
    }, { sideExecutionId: id });
  }

  listActionBlocks(projectPath?: unknown) {
    return replying('listActionBlocksResponse', async () => {
      if (projectPath !== undefined && projectPath !== null && typeof projectPath !== 'string') {
        throw new SidexError('INVALID_ARGUMENT', 'projectPath: must be a string', { field: 'projectPath' });
      }
      const { blocks, warnings } = this.blocks.list(projectPath ?? undefined);
      return ok('listActionBlocksResponse', { actionBlocks: blocks, warnings });
    });
  }

  list(filter: unknown = {}) {
    return replying('listSideExecutionsResponse', async () => {
      const f: ListInputType = parseInput(ListInput, filter ?? {});
      const page = await this.engine.list({
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
      return ok('listSideExecutionsResponse', {
        executions: page.items.map(statusFields),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      });
    });
  }

  /** How many executions there are in each status. */
  counts() {
    return replying('countSideExecutionsResponse', async () =>
      // The engine persists every transition before anyone hears of it: the store's counts are current.
      ok('countSideExecutionsResponse', { counts: await this.engine.store.counts() }),
    );
  }

  /** The execution's history: transitions, checkpoints and stop requests, oldest first. */
  events(id: unknown, query: unknown = {}) {
    return replying('getSideExecutionEventsResponse', async () => {
      const record = await this.record(id);
      const q = parseInput(EventsQuery, query ?? {});
      return ok('getSideExecutionEventsResponse', { sideExecutionId: record.id, events: await this.engine.store.events(record.id, q) });
    }, { sideExecutionId: id });
  }

  /** Resolves with the status reply once the execution is terminal. */
  wait(id: unknown) {
    return replying('getSideExecutionStatusResponse', async () => {
      const validId = parseInput(ExecutionIdInput, { sideExecutionId: id }).sideExecutionId;
      const record = await this.engine.wait(validId);
      return ok<StatusFields>('getSideExecutionStatusResponse', statusFields(record));
    }, { sideExecutionId: id });
  }

  /**
   * The execution's output, in order; with follow, until it ends. As text
   * (invalid UTF-8 shown as U+FFFD), or with `encoding: 'base64'` the exact bytes.
   */
  async *logs(id: string, options: { follow?: boolean; signal?: AbortSignal; encoding?: 'utf8' | 'base64' } = {}): AsyncGenerator<{ stream: 'stdout' | 'stderr'; data: string; time: number; encoding?: 'base64' }> {
    const base64 = options.encoding === 'base64';
    for await (const frame of this.logBytes(id, options)) {
      yield base64 ? { stream: frame.stream, data: frame.data.toString('base64'), time: frame.time, encoding: 'base64' } : { stream: frame.stream, data: frame.data.toString('utf8'), time: frame.time };
    }
  }

  /** The execution's output as the log keeps it, byte for byte. */
  async *logBytes(id: string, options: { follow?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<LogFrame> {
    const validId = parseInput(ExecutionIdInput, { sideExecutionId: id }).sideExecutionId;
    yield* this.engine.logs(validId, options);
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
      ...(opts?.memoryLimitMb ? { memoryLimitBytes: Math.round(opts.memoryLimitMb * 1024 * 1024) } : {}),
      ...(opts?.outputLimitMb ? { outputLimitBytes: Math.round(opts.outputLimitMb * 1024 * 1024) } : {}),
      ...(opts?.pidsLimit !== undefined ? { pidsLimit: opts.pidsLimit } : {}),
      ...(opts?.cpuLimit !== undefined ? { cpuLimit: opts.cpuLimit } : {}),
      ...(opts?.env ? { env: opts.env } : {}),
      ...(opts?.network ? { network: checkedNetwork(opts.network) } : {}),
      meta: callerMeta(opts),
    };
  }

  private async record(id: unknown): Promise<ExecutionRecord> {
    const validId = parseInput(ExecutionIdInput, { sideExecutionId: id }).sideExecutionId;
    const record = await this.engine.get(validId);
    if (!record) throw new SidexError('EXECUTION_NOT_FOUND', `no execution with id "${validId}"`, { id: validId });
    return record;
  }

  private async started(record: ExecutionRecord): Promise<Reply<{ sideExecutionId: string; status: string }>> {
    return startedReply('startSideExecutionResponse', record, 'sideExecutionId');
  }
}

/** A start answers once running (or queued); a start that failed answers `success: false` with the cause. */
export function startedReply<K extends string, X extends object = object>(type: string, record: ExecutionRecord, idField: K, extra?: X) {
  const fields = { [idField]: record.id, status: record.status, ...extra } as Record<K, string> & { status: string } & X;
  if (record.status !== 'failed') return ok(type, fields, `execution ${record.status}`);
  const error = record.error ?? { code: 'START_FAILED', message: 'the execution failed to start' };
  const details = { ...(error.stack ? { stack: error.stack } : {}), ...(error.path ? { path: error.path } : {}) };
  return fail(type, new SidexError(error.code, error.message, Object.keys(details).length ? details : undefined), fields);
}

/**
 * The reply to a stop, from the engine's outcome (shared by every dialect's
 * stop); the capability dialect names the id `executionId`.
 */
export function stopReply(type: string, { record, alreadyEnded }: StopOutcome, idField: 'sideExecutionId' | 'executionId' = 'sideExecutionId') {
  const fields: StopReplyFields = {
    ...(idField === 'executionId' ? { executionId: record.id } : {}),
    sideExecutionId: record.id,
    status: record.status,
    ...(record.stoppedAt !== undefined ? { stoppedAt: record.stoppedAt } : record.endedAt !== undefined ? { stoppedAt: record.endedAt } : {}),
    ...(record.result !== undefined ? { result: record.result } : {}),
    output: record.stdout.text,
    ...(record.forced !== undefined ? { forced: record.forced } : {}),
  };
  if (alreadyEnded && record.status === 'stopped') {
    return ok(type, { ...fields, status: 'already_stopped' as const }, 'execution was already stopped');
  }
  if (!isTerminal(record.status) || record.status === 'stopped' || (!alreadyEnded && record.status === 'timeout')) {
    return ok(type, fields, `execution ${record.status}`);
  }
  return fail(
    type,
    new SidexError('ALREADY_FINISHED', `execution had already finished with status "${record.status}"`, { status: record.status }),
    fields as unknown as Record<string, unknown>,
  );
}
