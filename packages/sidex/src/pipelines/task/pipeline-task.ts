// The server-side supervisor of one pipeline task. The task runs in its own
// execution (one child process, the task host); this object owns what the
// caller sees: the state, the item slots (`threads`), the open pipes, the
// counters, the events, the idle TTL, and terminate's drain.
import { randomUUID } from 'node:crypto';
import type { Engine } from '../../engine/engine.js';
import { isTerminal, type ExecutionRecord } from '../../engine/record.js';
import { SidexError } from '../../errors.js';
import { Batcher } from '../batcher.js';
import { itemCancelled, itemFailed, notRunning, pipeNotFound, terminating } from '../errors.js';
import type { PipelineEvent, PipelineEventName } from '../events.js';
import type { FromHost, HostItem, HostParams, ItemOutcome } from '../host-protocol.js';
import { isEndState, STATE_TEXT, TaskState, type ItemResult, type ResolvedPipeline, type TaskStatus } from '../model.js';
import { ItemCounters, pushBounded } from './counters.js';
import { Deadline } from './deadline.js';
import { Slots } from './slots.js';
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
  /** The working directory of the task's process. */
  dir: string;
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

interface Pipe {
  id: number;
  name: string;
  objectId: string;
  mimeType: string;
  chunks: Buffer[];
  size: number;
}

interface InFlight {
  pipe: Pipe;
  resolve(result: ItemResult): void;
  reject(err: Error): void;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const seconds = (ms: number) => Math.round(ms) / 1000;

export class PipelineTask {
  executionId = '';
  private state: TaskState = TaskState.NONE;
  private readonly counters = new ItemCounters();
  private readonly errors: string[] = [];
  private readonly warnings: string[];
  private readonly slots: Slots;
  private readonly pipes = new Map<number, Pipe>();
  private readonly inFlight = new Map<number, InFlight>();
  /** Pipes cancelled or failed while open: a later write or close is told why. */
  private readonly gone = new Map<number, SidexError>();
  private nextPipeId = 1;
  private lastStarted: Pipe | undefined;
  private readonly outbox: Batcher<HostItem>;
  private readonly throttle: StatusThrottle;
  private rateTimer: NodeJS.Timeout | undefined;
  private ttlTimer: NodeJS.Timeout | undefined;
  private lastActivity = Date.now();
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
    this.warnings = settings.warnings.slice(-50);
    this.outbox = new Batcher((items) => this.toHost(items));
    this.throttle = new StatusThrottle(settings.statusIntervalMs, () => this.publishStatus());
  }

  get token(): string {
    return this.settings.token;
  }

  get isEnded(): boolean {
    return isEndState(this.state);
  }

  get isRunning(): boolean {
    return this.state === TaskState.RUNNING;
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
      dir: settings.dir,
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
    this.touch();
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
    const id = this.nextPipeId++;
    const name = typeof object.name === 'string' && object.name ? object.name : `item ${id}`;
    this.pipes.set(id, { id, name, objectId: randomUUID(), mimeType, chunks: [], size: 0 });
    this.counters.totalCount++;
    this.activity();
    return id;
  }

  write(pipeId: number, data: Buffer): void {
    const pipe = this.openPipe(pipeId);
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
    const pipe = this.openPipe(pipeId);
    this.pipes.delete(pipeId);
    const text = Buffer.concat(pipe.chunks).toString('utf8');
    pipe.chunks = [];
    this.lastStarted = pipe;
    const result = new Promise<ItemResult>((resolve, reject) => this.inFlight.set(pipeId, { pipe, resolve, reject }));
    this.outbox.add({ id: pipeId, name: pipe.name, objectId: pipe.objectId, mimeType: pipe.mimeType, size: pipe.size, text });
    this.flow(pipe, 'begin');
    this.activity();
    return result;
  }

  /** An open pipe is given up: its item is cancelled and its slot freed. */
  abandon(pipeId: number, why: string): void {
    const pipe = this.openPipe(pipeId);
    this.pipes.delete(pipeId);
    this.counters.add('cancelled', pipe.size);
    this.remember(pipeId, itemCancelled(this.token, pipeId, why));
    this.slots.release();
    this.activity();
    this.checkIdle();
  }

  /** What became of a pipe that went away while open, for a later write or close (the last 1000). */
  private remember(pipeId: number, error: SidexError): void {
    this.gone.set(pipeId, error);
    if (this.gone.size > 1000) this.gone.delete(this.gone.keys().next().value!);
  }

  private openPipe(pipeId: number): Pipe {
    const pipe = this.pipes.get(pipeId);
    if (pipe) return pipe;
    throw this.gone.get(pipeId) ?? (this.inFlight.has(pipeId) ? new SidexError('PIPE_CLOSED', `pipe_id: pipe ${pipeId} of task "${this.token}" is already closed`, { field: 'pipe_id' }) : pipeNotFound(this.token, pipeId));
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
    const entry = this.inFlight.get(outcome.id);
    if (!entry) return; // cancelled at the drain deadline: its late outcome does not count
    this.inFlight.delete(outcome.id);
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
    this.touch();
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
    clearTimeout(this.ttlTimer);
    this.setState(TaskState.STOPPING);
    this.counters.refusedCount += this.slots.refuseWaiting(() => terminating(this.token));
    this.deadline = new Deadline(drainMs);
    const idle = this.busyCount === 0 ? Promise.resolve() : this.idle.promise;
    await Promise.race([idle, this.deadline.passed, this.ended.promise]);
    this.deadline.cancel();
    if (this.isEnded) return; // the process ended by itself meanwhile
    const drained = this.busyCount === 0;
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

  private get busyCount(): number {
    return this.pipes.size + this.inFlight.size;
  }

  private checkIdle(): void {
    if (this.busyCount > 0) return;
    this.idle.resolve();
    this.idle = deferred();
  }

  /** Every accepted item not yet finished ends as `outcome`: open pipes and items in the host. */
  private abandonAll(outcome: 'cancelled' | 'failed', why: string): void {
    const error = (id: number) => (outcome === 'cancelled' ? itemCancelled(this.token, id, why) : itemFailed(this.token, id, why));
    for (const pipe of this.pipes.values()) {
      this.counters.add(outcome, pipe.size);
      this.remember(pipe.id, error(pipe.id));
    }
    for (const { pipe, reject } of this.inFlight.values()) {
      this.counters.add(outcome, pipe.size);
      reject(error(pipe.id));
      this.flow(pipe, 'end', { error: `${outcome}: ${why}` });
    }
    this.pipes.clear();
    this.inFlight.clear();
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
      const why = record?.error?.message ?? `its execution ended with status ${record?.status ?? 'unknown'}`;
      this.exitMessage ||= why;
      this.exitCode = typeof record?.exitCode === 'number' && record.exitCode !== 0 ? record.exitCode : 1;
      if (this.state >= TaskState.RUNNING) pushBounded(this.errors, `the task process ended: ${why}`);
      this.abandonAll('failed', `the task process ended: ${why}`);
      this.counters.refusedCount += this.slots.refuseWaiting(() => notRunning(this.token, TaskState.COMPLETED));
      this.endedAt = Date.now();
      state = TaskState.COMPLETED;
    }
    clearInterval(this.rateTimer);
    clearTimeout(this.ttlTimer);
    this.deadline?.cancel();
    this.counters.stopRates();
    this.lastStarted = undefined;
    this.setState(state);
    this.throttle.close();
    if (this.began) this.emitTask('end');
    this.deps.ended(this);
    this.ended.resolve();
  }

  // ---- idle TTL ------------------------------------------------------------------

  /** Any activity of the task: an item opened, written, closed or finished, output, a message. */
  private activity(): void {
    this.touch();
    this.throttle.changed();
  }

  private touch(): void {
    this.lastActivity = Date.now();
    if (this.ttlTimer || this.settings.ttlSec === 0 || this.state !== TaskState.RUNNING) return;
    this.armTtl(this.settings.ttlSec * 1000);
  }

  private armTtl(ms: number): void {
    this.ttlTimer = setTimeout(() => {
      this.ttlTimer = undefined;
      if (this.state !== TaskState.RUNNING) return;
      const idleFor = Date.now() - this.lastActivity;
      const ttlMs = this.settings.ttlSec * 1000;
      // An item in progress is activity for as long as it lasts.
      if (this.busyCount > 0 || this.slots.waitingCount > 0) return this.armTtl(ttlMs);
      if (idleFor < ttlMs) return this.armTtl(ttlMs - idleFor);
      this.ending = this.end('ttl', this.settings.drainMs);
    }, ms);
    this.ttlTimer.unref();
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
    const state = endState ?? this.state;
    const c = this.counters;
    const current = this.lastStarted && this.inFlight.has(this.lastStarted.id) ? this.lastStarted : this.inFlight.values().next().value?.pipe;
    const ended = isEndState(state);
    return {
      name: this.settings.pipeline.name,
      project_id: this.projectId,
      source: this.source,
      completed: ended,
      state,
      startTime: seconds(this.startedAt),
      endTime: ended ? seconds(this.endedAt) : 0,
      debuggerAttached: false,
      status: STATE_TEXT[state],
      warnings: [...this.warnings],
      errors: [...this.errors],
      currentObject: ended ? '' : (current?.name ?? ''),
      currentSize: ended ? 0 : (current?.size ?? 0),
      notes: [],
      totalSize: c.totalSize,
      totalCount: c.totalCount,
      completedSize: c.completedSize,
      completedCount: c.completedCount,
      failedSize: c.failedSize,
      failedCount: c.failedCount,
      wordsSize: 0,
      wordsCount: 0,
      rateSize: ended ? 0 : c.rateSize,
      rateCount: ended ? 0 : c.rateCount,
      serviceUp: state === TaskState.RUNNING,
      exitCode: this.exitCode,
      exitMessage: this.exitMessage,
      pipeflow: { totalPipes: this.settings.threads, byPipe: {} },
      token: this.token,
      id: this.executionId,
      threads: this.settings.threads,
      cancelledCount: c.cancelledCount,
      cancelledSize: c.cancelledSize,
      refusedCount: c.refusedCount,
      inProgressCount: ended ? 0 : this.busyCount,
    };
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
