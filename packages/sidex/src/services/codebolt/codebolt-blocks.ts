import { createHash, randomBytes } from 'node:crypto';
import type { ExternalSettlement } from '../../engine/engine.js';
import type { ExecutionEngine } from '../../engine/execution-engine.js';
import type { StartSpec } from '../../engine/execution.js';
import { isTerminal, type ExecutionRecord } from '../../model/record.js';
import { SidexError } from '../../errors.js';
import { metaString } from '../caller-meta.js';
import { codeboltEnv, type CodeboltSocket } from './codebolt-env.js';
import { reportedError } from '../../engine/reported-error.js';

/** What the record keeps of a Codebolt-built execution: never the token itself. */
export interface CodeboltMeta {
  tokenHash: string;
  actionBlockPath: string;
}

/** Codebolt's `actionBlockInvocation` message (docs/codebolt.md). */
export interface ActionBlockInvocation {
  type: 'actionBlockInvocation';
  sideExecutionId: string;
  params: unknown;
  threadContext: Record<string, unknown>;
  threadId: string;
  parentAgentId: string;
  parentAgentInstanceId?: string;
  timestamp: string;
}

interface Live {
  executionId: string;
  record: ExecutionRecord;
  /** Set once its block's WebSocket has been accepted: called when the execution ends. */
  onEnd?: () => void;
}

export const CODEBOLT_META = 'codebolt';

/**
 * Codebolt-built blocks: gives them Codebolt's environment with a token
 * scoped to their execution, and is what the WebSocket transport consults
 * when such a block connects: `lookupToken` (whose execution is this?),
 * `attach` (its one connection), `invocationFor` (what to send it),
 * `complete` (its actionBlockComplete). A token is valid from the moment its
 * execution exists until it ends.
 */
export class CodeboltBlocks {
  private readonly byToken = new Map<string, Live>();
  private readonly byExecution = new Map<string, Live>();
  private readonly offStatus: () => void;

  constructor(
    private readonly engine: ExecutionEngine,
    private readonly socket: CodeboltSocket = {},
  ) {
    const onStatus = (record: ExecutionRecord) => this.track(record);
    engine.on('status', onStatus);
    this.offStatus = () => engine.off('status', onStatus);
  }

  /**
   * The spec with Codebolt's environment and a fresh token. The execution id
   * is not known yet: the record carries the token's hash, and the engine's
   * first status event (before any process runs) binds the two.
   */
  prepare(spec: StartSpec): StartSpec {
    const token = randomBytes(24).toString('base64url');
    const actionBlockPath = spec.dir ?? '';
    const meta = { ...spec.meta, [CODEBOLT_META]: { tokenHash: hashOf(token), actionBlockPath } satisfies CodeboltMeta };
    const env = codeboltEnv(this.socket, { token, actionBlockPath, meta });
    // Codebolt's variables win over caller-supplied ones of the same name.
    return { ...spec, meta, env: { ...spec.env, ...env } };
  }

  /** The execution a Codebolt-built block's token belongs to, while it runs. */
  lookupToken(token: string): string | undefined {
    if (typeof token !== 'string' || token === '') return undefined;
    return this.byToken.get(hashOf(token))?.executionId;
  }

  /**
   * Accepts the one WebSocket of a running execution's block: the invocation
   * is sent once, so a second connection (while or after the first) is
   * ALREADY_CONNECTED. `onEnd` is called when the execution ends, to close it.
   */
  attach(executionId: string, onEnd: () => void): void {
    const live = this.live(executionId);
    if (live.onEnd) {
      throw new SidexError('ALREADY_CONNECTED', `execution "${executionId}" already has its WebSocket: an execution token opens one connection`, { id: executionId });
    }
    live.onEnd = onEnd;
  }

  /** The `actionBlockInvocation` to send a block once it has connected. */
  invocationFor(executionId: string): ActionBlockInvocation {
    const { record } = this.live(executionId);
    const meta = record.meta;
    const str = (key: string) => metaString(meta, key);
    const threadContext = typeof meta.threadContext === 'object' && meta.threadContext !== null ? (meta.threadContext as Record<string, unknown>) : {};
    return {
      type: 'actionBlockInvocation',
      sideExecutionId: executionId,
      params: record.params,
      // Codebolt blocks read their params from threadContext.params.
      threadContext: { ...threadContext, params: record.params, ...(str('threadId') ? { threadId: str('threadId') } : {}) },
      threadId: str('threadId'),
      parentAgentId: str('parentAgentId'),
      ...(str('parentAgentInstanceId') ? { parentAgentInstanceId: str('parentAgentInstanceId') } : {}),
      timestamp: new Date().toISOString(),
    };
  }

  /**
   * The block's `actionBlockComplete`: its result or error is the outcome of
   * the execution, whose processes are then ended. Later reports are ignored.
   */
  complete(executionId: string, outcome: { result?: unknown } | { error: unknown }): void {
    this.live(executionId);
    const settlement: ExternalSettlement = 'error' in outcome && outcome.error !== undefined ? { error: reportedError(outcome.error, 'the action block reported an error') } : { result: (outcome as { result?: unknown }).result };
    this.engine.settle(executionId, settlement);
  }

  close(): void {
    this.offStatus();
    this.byToken.clear();
    this.byExecution.clear();
  }

  private live(executionId: string): Live {
    const live = this.byExecution.get(executionId);
    if (!live) throw new SidexError('EXECUTION_NOT_FOUND', `no running Codebolt-built execution with id "${executionId}"`, { id: executionId });
    return live;
  }

  private track(record: ExecutionRecord): void {
    const meta = record.meta[CODEBOLT_META] as CodeboltMeta | undefined;
    if (!meta) return;
    if (isTerminal(record.status)) {
      const ended = this.byExecution.get(record.id);
      this.byToken.delete(meta.tokenHash);
      this.byExecution.delete(record.id);
      ended?.onEnd?.();
      return;
    }
    if (this.byExecution.has(record.id)) return;
    const live = { executionId: record.id, record };
    this.byToken.set(meta.tokenHash, live);
    this.byExecution.set(record.id, live);
  }
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
