// The server-side supervisor of one pipeline task. The task runs in its own
// execution (one child process, the task host); this object owns what the
// caller sees: the state, the item slots (`threads`), the open pipes, the
// counters and the idle TTL. Its process, its events and its end when asked
// to end are each in a file of their own.
import { deferred } from '../../../model/deferred.js';
import type { ExecutionRecord } from '../../../model/record.js';
import { SidexError } from '../../../errors.js';
import { Batcher } from '../../../runtime/pipeline-host/batcher.js';
import type { ItemResult } from '../../../runtime/pipeline-host/pipeline.js';
import type { FromHost, HostItem, ItemOutcome } from '../../../runtime/pipeline-host/protocol.js';
import { itemFailed, notRunning, terminating } from '../errors.js';
import { isEndState, TaskState, type TaskStatus } from '../task-state.js';
import { ItemCounters, MAX_MESSAGES, pushBounded } from './counters.js';
import { Ending, type EndReason } from './ending.js';
import { IdleTimer } from './idle-timer.js';
import { Items } from './items.js';
import type { TaskDeps, TaskSettings } from './settings.js';
import { Slots } from './slots.js';
import { buildStatus } from './status.js';
import { crashOf } from './status-from-record.js';
import { TaskEvents } from './task-events.js';
import { TaskProcess } from './task-process.js';
import { StatusThrottle } from './throttle.js';

export class PipelineTask {
  private state: TaskState = TaskState.NONE;
  private readonly counters: ItemCounters;
  private readonly errors: string[] = [];
  private readonly warnings: string[];
  private readonly process: TaskProcess;
  private readonly events: TaskEvents;
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
  private began = false;
  private ending: Ending | undefined;

  constructor(
    private readonly deps: TaskDeps,
    readonly settings: TaskSettings,
  ) {
    this.counters = new ItemCounters(deps.counted);
    this.process = new TaskProcess(deps.engine, (record) => this.onExecutionEnded(record));
    this.events = new TaskEvents(deps, settings);
    this.slots = new Slots(settings.threads);
    this.items = new Items(settings.token);
    this.warnings = settings.warnings.slice(-MAX_MESSAGES);
    this.outbox = new Batcher((items) => this.toHost(items));
    this.throttle = new StatusThrottle(settings.statusIntervalMs, () => this.publishStatus());
    this.idleTimer = new IdleTimer(
      settings.ttlSec * 1000,
      () => this.items.busyCount > 0 || this.slots.waitingCount > 0,
      () => {
        if (this.state === TaskState.RUNNING) this.ending = this.startEnding('ttl', settings.drainMs);
      },
    );
  }

  get token(): string {
    return this.settings.token;
  }

  get executionId(): string {
    return this.process.executionId;
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
    const record = await this.process.start(settings);
    if (record.status === 'running') this.onExecutionStatus(record);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      this.ready.promise.then(() => 'ready' as const),
      this.process.ended.promise.then(() => 'ended' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), settings.startTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (outcome === 'ready') return this.begin();
    if (outcome === 'timeout') {
      this.exitMessage = `the pipeline was not ready within ${settings.startTimeoutMs} ms`;
      await this.process.stop({ force: true });
      await this.process.ended.promise;
    }
    throw new SidexError('TASK_START_FAILED', `the task could not start: ${this.exitMessage}`, { token: this.token });
  }

  /** The execution is known: its end, whatever causes it, ends the task. Idempotent. */
  bind(executionId: string): void {
    this.process.bind(executionId);
  }

  onExecutionStatus(record: ExecutionRecord): void {
    if (record.status === 'running' && this.state === TaskState.STARTING) this.setState(TaskState.INITIALIZING);
  }

  private begin(): void {
    this.began = true;
    this.setState(TaskState.RUNNING);
    this.events.task('begin');
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
    this.counters.accept();
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
    this.events.flow(pipe, 'begin');
    this.activity();
    return result;
  }

  /** An open pipe is given up: its item is cancelled and its slot freed. */
  abandon(pipeId: number, why: string): void {
    const pipe = this.items.abandon(pipeId, why);
    this.counters.add('cancelled', pipe.size);
    this.slots.release();
    this.activity();
  }

  private refuseUnlessRunning(): void {
    if (this.state === TaskState.RUNNING) return;
    if (this.state === TaskState.STOPPING) {
      // Refusals after the final status was decided are not in it, so not counted.
      if (!this.ending?.planned) this.counters.refuse(1);
      this.throttle.changed();
      throw terminating(this.token);
    }
    throw notRunning(this.token, this.state);
  }

  private toHost(items: HostItem[]): void {
    // When the process is gone, its end fails these items (onExecutionEnded).
    this.process.send({ t: 'items', items });
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
      this.events.flow(pipe, 'end', { result: outcome.result });
    } else {
      pushBounded(this.errors, `${pipe.name}: ${outcome.error.message}`);
      entry.reject(itemFailed(this.token, pipe.id, outcome.error.message, outcome.error.component));
      this.events.flow(pipe, 'end', { error: outcome.error.message });
    }
    this.slots.release();
  }

  onOutput(stream: string, data: string): void {
    this.idleTimer.touch();
    this.events.output(stream, data);
  }

  /** Every accepted item not yet finished ends as `outcome`: open pipes and items in the host. */
  private abandonAll(outcome: 'cancelled' | 'failed', why: string): void {
    for (const { pipe, inHost } of this.items.endAll(outcome, why)) {
      this.counters.add(outcome, pipe.size);
      if (inHost) this.events.flow(pipe, 'end', { error: `${outcome}: ${why}` });
    }
  }

  /** Any activity of the task: an item opened, written, closed or finished, output, a message. */
  private activity(): void {
    this.idleTimer.touch();
    this.throttle.changed();
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
    if (this.ending) return this.ending.terminate(options);
    this.ending = this.startEnding('terminate', options.drainMs ?? this.settings.drainMs);
    if (options.force) this.ending.force();
    return this.ending.done;
  }

  /** Server shutdown: the same drain, bounded by the shutdown's own deadline. */
  shutdown(drainMs: number): Promise<void> {
    if (this.isEnded) return Promise.resolve();
    if (this.ending) return this.ending.shutdown(drainMs);
    this.ending = this.startEnding('shutdown', drainMs);
    return this.ending.done;
  }

  private startEnding(reason: EndReason, drainMs: number): Ending {
    this.idleTimer.stop();
    this.setState(TaskState.STOPPING);
    this.counters.refuse(this.slots.refuseWaiting(() => terminating(this.token)));
    return new Ending(
      reason,
      drainMs,
      {
        process: this.process,
        counters: this.counters,
        isEnded: () => this.isEnded,
        whenIdle: () => this.items.whenIdle(),
        cancelRemaining: (why) => {
          const drained = this.items.busyCount === 0;
          if (!drained) this.abandonAll('cancelled', why);
          return drained;
        },
        conclude: (state, exitMessage) => {
          this.exitMessage = exitMessage;
          this.endedAt = Date.now();
          return this.status(state);
        },
      },
      this.settings,
    );
  }

  private onExecutionEnded(record: ExecutionRecord | undefined): void {
    if (this.isEnded) return;
    let state: TaskState;
    const planned = this.ending?.planned;
    if (planned) {
      state = planned.state;
    } else {
      // Nobody asked it to end: it crashed, failed to start, or was stopped under us.
      const { why, exitCode, error } = crashOf(record);
      this.exitMessage ||= why;
      this.exitCode = exitCode;
      if (this.state >= TaskState.RUNNING) pushBounded(this.errors, error);
      this.abandonAll('failed', error);
      this.counters.refuse(this.slots.refuseWaiting(() => notRunning(this.token, TaskState.COMPLETED)));
      this.endedAt = Date.now();
      state = TaskState.COMPLETED;
    }
    clearInterval(this.rateTimer);
    this.idleTimer.stop();
    this.ending?.cancel();
    this.counters.stopRates();
    this.setState(state);
    this.throttle.close();
    if (this.began) this.events.task('end');
    this.deps.ended(this);
  }

  // ---- status --------------------------------------------------------------------

  private setState(state: TaskState): void {
    if (this.state === state) return;
    this.state = state;
    this.throttle.now();
  }

  private publishStatus(): void {
    const status = this.status();
    if (this.executionId && !this.isEnded) this.process.setProgress(status);
    this.events.status(status);
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
}
