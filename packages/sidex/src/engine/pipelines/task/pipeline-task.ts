// The server-side supervisor of one pipeline task. The task runs in its own
// execution (one child process, the task host); this object owns what the
// caller sees: the state, the item slots (`threads`), the open pipes, the
// counters, the events, the idle TTL, and terminate's drain.
import type { Engine } from '../../engine.js';
import { deferred } from '../../execution.js';
import type { ExecutionRecord } from '../../record.js';
import { SidexError } from '../../../errors.js';
import { Batcher } from '../../../runtime/pipeline-host/batcher.js';
import { itemFailed, notRunning, terminating } from '../errors.js';
import type { PipelineEvent, PipelineEventName } from '../events.js';
import type { FromHost, HostItem, HostParams, ItemOutcome } from '../../../runtime/pipeline-host/protocol.js';
import type { ItemResult, ResolvedPipeline } from '../../../runtime/pipeline-host/pipeline.js';
import { isEndState, TaskState, type TaskStatus } from '../task-state.js';
import { ItemCounters, MAX_MESSAGES, pushBounded } from './counters.js';
import { Deadline } from './deadline.js';
import { IdleTimer } from './idle-timer.js';
import { Items, type Pipe } from './items.js';
import { Slots } from './slots.js';
import { buildStatus } from './status.js';
import { crashOf } from './status-from-record.js';
import { StatusThrottle } from './throttle.js';

export interface TaskSettings {
  token: string;
  publicToken: string;
  pipeline: ResolvedPipeline;
  /** Validation warnings: they stay in the status. */
  warnings: string[];
  args: string[];
  threads: number;
  /** Idle seconds before the task ends by itself; 0 never. */
  ttlSec: number;
  drainMs: number;
  /** Grace of the stop protocol when the task's process is ended. */
  graceMs: number;
  maxItemBytes: number;
  startTimeoutMs: number;
  statusIntervalMs: number;
  env: Record<string, string>;
  hostEntry: string;
}

export interface TaskDeps {
  engine: Engine;
  emit(event: PipelineEvent): void;
  /** Whether anyone listens to an event, so that none is built for nobody. */
  wants(event: PipelineEventName): boolean;
  /** Called once, when the task has ended (or failed to start). */
  ended(task: PipelineTask): void;
}

/** Why a task ends, when it is asked to. */
type EndReason = 'terminate' | 'ttl' | 'shutdown';

export class PipelineTask {
  executionId = '';
  private state: TaskState = TaskState.NONE;
  private readonly counters = new ItemCounters();
  private readonly errors: string[] = [];
  private readonly warnings: string[];
  private readonly slots: Slots;
  private readonly items: Items;
  private readonly outbox: Batcher<HostItem>;
  private readonly throttle: StatusThrottle;
  private readonly idleTimer: IdleTimer;
  private rateTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();
  private endedAt = 0;
  private exitCode = 0;
  private exitMessage = '';
  private readonly ready = deferred<void>();
  readonly ended = deferred<void>();
  private idle = deferred<void>();
  private reason: EndReason | undefined;
  private ending: Promise<void> | undefined;
  private deadline: Deadline | undefined;
  private forced = false;
  private began = false;
  /** The final status, decided before the process is ended (and kept with its record). */
  private planned: TaskStatus | undefined;

  constructor(
    private readonly deps: TaskDeps,
    readonly settings: TaskSettings,
  ) {
    this.slots = new Slots(settings.threads);
    this.items = new Items(settings.token);
    this.warnings = settings.warnings.slice(-MAX_MESSAGES);
    this.outbox = new Batcher((items) => this.toHost(items));
    this.throttle = new StatusThrottle(settings.statusIntervalMs, () => this.publishStatus());
    this.idleTimer = new IdleTimer(
      settings.ttlSec * 1000,
      () => this.items.busyCount > 0 || this.slots.waitingCount > 0,
      () => {
        if (this.state === TaskState.RUNNING) this.ending = this.end('ttl', settings.drainMs);
      },
    );
  }

  get token(): string {
    return this.settings.token;
  }

  get isEnded(): boolean {
    return isEndState(this.state);
  }

  get projectId(): string {
    return this.settings.pipeline.projectId;
  }

  get source(): string {
    return this.settings.pipeline.source;
  }

  // ---- start -----------------------------------------------------------------

  /** Resolves once the task runs (its pipeline built); throws when it could not start. */
  async start(): Promise<void> {
    this.setState(TaskState.STARTING);
    const { settings } = this;
    const params: HostParams = { token: settings.token, pipeline: settings.pipeline, args: settings.args };
    const record = await this.deps.engine.start({
      prefix: 'task',
      kind: 'block',
      name: settings.pipeline.name,
      entry: settings.hostEntry,
      // Its working directory is the runtime's own scratch directory, gone with it.
      inScratch: true,
      params,
      graceMs: settings.graceMs,
      env: settings.env,
      meta: { pipelineToken: settings.token, projectId: this.projectId, source: this.source, threads: settings.threads },
    });
    this.bind(record.id);
    if (record.status === 'running') this.onExecutionStatus(record);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.ready.promise.then(() => 'ready' as const),
      this.ended.promise.then(() => 'ended' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), settings.startTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome === 'ready') return this.begin();
    if (outcome === 'timeout') {
      this.exitMessage = `the pipeline was not ready within ${settings.startTimeoutMs} ms`;
      await this.deps.engine.stop(this.executionId, { force: true }).catch(() => {});
      await this.ended.promise;
    }
    throw new SidexError('TASK_START_FAILED', `the task could not start: ${this.exitMessage}`, { token: this.token });
  }

  /** The execution is known: its end, whatever causes it, ends the task. Idempotent. */
  bind(executionId: string): void {
    if (this.executionId) return;
    this.executionId = executionId;
    void this.deps.engine.wait(executionId).then(
      (record) => this.onExecutionEnded(record),
      () => this.onExecutionEnded(undefined),
    );
  }

  onExecutionStatus(record: ExecutionRecord): void {
    if (record.status === 'running' && this.state === TaskState.STARTING) this.setState(TaskState.INITIALIZING);
  }

  private begin(): void {
    this.began = true;
    this.setState(TaskState.RUNNING);
    this.emitTask('begin');
    this.rateTimer = setInterval(() => {
      if (this.counters.sampleRates()) this.throttle.changed();
    }, 1000);
    this.rateTimer.unref();
    this.idleTimer.start();
  }

  // ---- items -------------------------------------------------------------------

  /** Takes a slot (waiting for one when `threads` items are in progress) and answers the pipe id. */
  async open(object: Record<string, unknown>, mimeType: string): Promise<number> {
    this.refuseUnlessRunning();
    await this.slots.acquire();
    if (this.state !== TaskState.RUNNING) {
      // A slot handed over in the same turn as a terminate: the open still came too late.
      this.slots.release();
      this.refuseUnlessRunning();
    }
    const pipe = this.items.open(object, mimeType);
    this.counters.totalCount++;
    this.activity();
    return pipe.id;
  }

  write(pipeId: number, data: Buffer): void {
    const pipe = this.items.pipe(pipeId);
    if (pipe.size + data.length > this.settings.maxItemBytes) {
      throw new SidexError('ITEM_TOO_LARGE', `data: item ${pipeId} would exceed the limit of ${this.settings.maxItemBytes} bytes`, {
        field: 'data',
        limit: this.settings.maxItemBytes,
      });
    }
    pipe.chunks.push(data);
    pipe.size += data.length;
    this.counters.totalSize += data.length;
    this.activity();
  }

  /** Hands the item to the task host; resolves with its result once it has gone through the pipeline. */
  close(pipeId: number): Promise<ItemResult> {
    const { pipe, text, result } = this.items.close(pipeId);
    this.outbox.add({ id: pipeId, name: pipe.name, objectId: pipe.objectId, mimeType: pipe.mimeType, size: pipe.size, text });
    this.flow(pipe, 'begin');
    this.activity();
    return result;
  }

  /** An open pipe is given up: its item is cancelled and its slot freed. */
  abandon(pipeId: number, why: string): void {
    const pipe = this.items.abandon(pipeId, why);
    this.counters.add('cancelled', pipe.size);
    this.slots.release();
    this.activity();
    this.checkIdle();
  }

  private refuseUnlessRunning(): void {
    if (this.state === TaskState.RUNNING) return;
    if (this.state === TaskState.STOPPING) {
      // Refusals after the final status was decided are not in it, so not counted.
      if (!this.planned) this.counters.refusedCount++;
      this.throttle.changed();
      throw terminating(this.token);
    }
    throw notRunning(this.token, this.state);
  }

  private toHost(items: HostItem[]): void {
    try {
      this.deps.engine.sendMessage(this.executionId, { t: 'items', items });
    } catch {
      // The process is gone: its end fails these items (onExecutionEnded).
    }
  }

  onHostMessage(message: FromHost): void {
    if (message.t === 'ready') return this.ready.resolve();
    if (message.t === 'done') for (const outcome of message.outcomes) this.settle(outcome);
    this.activity();
  }

  private settle(outcome: ItemOutcome): void {
    const entry = this.items.take(outcome.id);
    if (!entry) return; // cancelled at the drain deadline: its late outcome does not count
    const { pipe } = entry;
    this.counters.add(outcome.ok ? 'completed' : 'failed', pipe.size);
    if (outcome.ok) {
      entry.resolve(outcome.result);
      this.flow(pipe, 'end', { result: outcome.result });
    } else {
      pushBounded(this.errors, `${pipe.name}: ${outcome.error.message}`);
      entry.reject(itemFailed(this.token, pipe.id, outcome.error.message, outcome.error.component));
      this.flow(pipe, 'end', { error: outcome.error.message });
    }
    this.slots.release();
    this.checkIdle();
  }

  onOutput(stream: string, data: string): void {
    this.idleTimer.touch();
    if (this.deps.wants('output')) this.emit('output', { category: stream, output: data });
  }

  // ---- ending --------------------------------------------------------------------

  /**
   * Graceful: nothing new is accepted from now on; items in progress get until
   * the drain deadline, then are cancelled with the stop protocol. Resolves
   * when the task has ended. A later call shares the outcome, and may bring the
   * deadline closer (drainMs) or force (cancel at once, no grace).
   */
  terminate(options: { drainMs?: number; force?: boolean } = {}): Promise<void> {
    if (this.isEnded) return Promise.resolve();
    if (this.ending) {
      if (!this.planned) this.reason = 'terminate'; // an idle expiry in progress becomes a terminate
      if (options.force) this.force();
      else if (options.drainMs !== undefined) this.deadline?.shorten(options.drainMs);
      return this.ending;
    }
    this.ending = this.end('terminate', options.drainMs ?? this.settings.drainMs);
    if (options.force) this.force();
    return this.ending;
  }

  /** Server shutdown: the same drain, bounded by the shutdown's own deadline. */
  shutdown(drainMs: number): Promise<void> {
    if (this.isEnded) return Promise.resolve();
    if (this.ending) {
      this.deadline?.shorten(drainMs);
      return this.ending;
    }
    this.ending = this.end('shutdown', drainMs);
    return this.ending;
  }

  private force(): void {
    this.forced = true;
    this.deadline?.shorten(0);
    if (this.planned) void this.deps.engine.stop(this.executionId, { force: true }).catch(() => {});
  }

  private async end(reason: EndReason, drainMs: number): Promise<void> {
    this.reason = reason;
    this.idleTimer.stop();
    this.setState(TaskState.STOPPING);
    this.counters.refusedCount += this.slots.refuseWaiting(() => terminating(this.token));
    this.deadline = new Deadline(drainMs);
    const idle = this.items.busyCount === 0 ? Promise.resolve() : this.idle.promise;
    await Promise.race([idle, this.deadline.passed, this.ended.promise]);
    this.deadline.cancel();
    if (this.isEnded) return; // the process ended by itself meanwhile
    const drained = this.items.busyCount === 0;
    if (!drained) this.abandonAll('cancelled', `the drain deadline of ${drainMs} ms passed`);
    this.planned = this.finalStatus(drained);
    try {
      this.deps.engine.setProgress(this.executionId, this.planned);
    } catch {
      // ended between the check and now: onExecutionEnded decides
    }
    if (this.reason === 'ttl') await this.endGently();
    else {
      const graceMs = this.forced ? 0 : this.settings.graceMs;
      await this.deps.engine.stop(this.executionId, { graceMs, reason: this.reason === 'shutdown' ? 'shutdown' : 'user' }).catch(() => {});
    }
    await this.ended.promise;
  }

  /** An idle task asks its host to return: the execution completes rather than being stopped. */
  private async endGently(): Promise<void> {
    try {
      this.deps.engine.sendMessage(this.executionId, { t: 'end' });
    } catch {
      return;
    }
    const timer = setTimeout(() => void this.deps.engine.stop(this.executionId, { graceMs: this.settings.graceMs }).catch(() => {}), this.settings.graceMs);
    await this.ended.promise;
    clearTimeout(timer);
  }

  private checkIdle(): void {
    if (this.items.busyCount > 0) return;
    this.idle.resolve();
    this.idle = deferred();
  }

  /** Every accepted item not yet finished ends as `outcome`: open pipes and items in the host. */
  private abandonAll(outcome: 'cancelled' | 'failed', why: string): void {
    for (const { pipe, inHost } of this.items.endAll(outcome, why)) {
      this.counters.add(outcome, pipe.size);
      if (inHost) this.flow(pipe, 'end', { error: `${outcome}: ${why}` });
    }
  }

  private finalStatus(drained: boolean): TaskStatus {
    const c = this.counters;
    const counts = `${c.completedCount} completed, ${c.failedCount} failed, ${c.cancelledCount} cancelled, ${c.refusedCount} refused`;
    const state = this.reason === 'ttl' ? TaskState.COMPLETED : TaskState.CANCELLED;
    this.exitMessage =
      this.reason === 'ttl'
        ? `idle for ${this.settings.ttlSec} s: the task's ttl expired (${counts})`
        : `${this.reason === 'shutdown' ? 'the server shut down' : 'terminated'}${drained ? '' : ' after the drain deadline'} (${counts})`;
    this.endedAt = Date.now();
    return this.status(state);
  }

  private onExecutionEnded(record: ExecutionRecord | undefined): void {
    if (this.isEnded) return;
    let state: TaskState;
    if (this.planned) {
      state = this.planned.state;
    } else {
      // Nobody asked it to end: it crashed, failed to start, or was stopped under us.
      const { why, exitCode, error } = crashOf(record);
      this.exitMessage ||= why;
      this.exitCode = exitCode;
      if (this.state >= TaskState.RUNNING) pushBounded(this.errors, error);
      this.abandonAll('failed', error);
      this.counters.refusedCount += this.slots.refuseWaiting(() => notRunning(this.token, TaskState.COMPLETED));
      this.endedAt = Date.now();
      state = TaskState.COMPLETED;
    }
    clearInterval(this.rateTimer);
    this.idleTimer.stop();
    this.deadline?.cancel();
    this.counters.stopRates();
    this.setState(state);
    this.throttle.close();
    if (this.began) this.emitTask('end');
    this.deps.ended(this);
    this.ended.resolve();
  }

  /** Any activity of the task: an item opened, written, closed or finished, output, a message. */
  private activity(): void {
    this.idleTimer.touch();
    this.throttle.changed();
  }

  // ---- status and events ---------------------------------------------------------

  private setState(state: TaskState): void {
    if (this.state === state) return;
    this.state = state;
    this.throttle.now();
  }

  private publishStatus(): void {
    const status = this.status();
    if (this.executionId && !this.isEnded) {
      try {
        this.deps.engine.setProgress(this.executionId, status);
      } catch {
        // the execution has just ended; its final status is set by then
      }
    }
    if (this.deps.wants('apaevt_status_update')) this.emit('apaevt_status_update', status as unknown as Record<string, unknown>);
  }

  /** The status of §3, as it is now (or with the given end state, for the final one). */
  status(endState?: TaskState): TaskStatus {
    const { settings } = this;
    return buildStatus({
      name: settings.pipeline.name,
      projectId: this.projectId,
      source: this.source,
      token: this.token,
      executionId: this.executionId,
      threads: settings.threads,
      state: endState ?? this.state,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      counters: this.counters,
      errors: this.errors,
      warnings: this.warnings,
      exitCode: this.exitCode,
      exitMessage: this.exitMessage,
      current: this.items.current(),
      inProgress: this.items.busyCount,
    });
  }

  private emit(event: PipelineEventName, body: Record<string, unknown>): void {
    this.deps.emit({ token: this.token, event, body });
  }

  private emitTask(action: 'begin' | 'end'): void {
    if (!this.deps.wants('apaevt_task')) return;
    this.emit('apaevt_task', { action, name: this.settings.pipeline.name, projectId: this.projectId, source: this.source, token: this.token });
  }

  private flow(pipe: Pipe, op: 'begin' | 'end', trace: Record<string, unknown> = {}): void {
    if (!this.deps.wants('apaevt_flow')) return;
    const { result, ...rest } = trace;
    this.emit('apaevt_flow', {
      id: pipe.id,
      op,
      pipes: [],
      trace: rest,
      ...(result ? { result } : {}),
      project_id: this.projectId,
      source: this.source,
    });
  }
}
