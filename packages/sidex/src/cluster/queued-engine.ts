import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ProcessInfo } from '@sidex/protocol';
import { Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { SidexError } from '../errors.js';
import { DEFAULT_OUTPUT_LIMIT_BYTES, DEFAULT_PIDS_LIMIT, DEFAULT_TAIL_BYTES, type EngineEvents, type ExternalSettlement, type StopOptions, type StopOutcome } from '../engine/engine.js';
import type { ClusterWorkers, ExecutionEngine } from '../engine/execution-engine.js';
import type { StartSpec } from '../engine/execution.js';
import { finalFields, statusEvent } from '../engine/final-status.js';
import type { LogFrame } from '../engine/output/log-format.js';
import { checkStart, newRecord } from '../engine/start-spec.js';
import { isTerminal, type ExecutionRecord } from '../model/record.js';
import type { ExecutionStore, ListFilter, ListPage } from '../store/execution-store.js';
import { boundsOf, lockSettings, DEFAULT_LOSS_MS, type ClusterOptions } from './cluster-options.js';
import type { ControlMessage } from './control.js';
import { ControlRequests } from './control-request.js';
import { EventReader, type EventName } from './event-stream.js';
import { InboxSender, type InboxOp } from './inbox.js';
import { jobDataOf, jobOptions } from './job-data.js';
import { buryJob, startJobOf } from './job-tombstone.js';
import { CONTROL_CHANNEL, QUEUE_PREFIX, QUEUES_SET, queueName, tagsOfQueue } from './keys.js';
import { endUnheld, recordLost, STALLED_REASON, type LostContext } from './lost-executions.js';
import { OrphanSweep } from './orphan-sweep.js';
import { outputFrames } from './output-log.js';
import { boundedRead } from './redis-read.js';
import { bullConnection, connectRedis, redisOptions } from './redis-url.js';
import { takeRefusal } from './start-refusal.js';
import { freeSlots, liveWorkers } from './worker-registry.js';
import { depthOf, listWorkers } from './worker-listing.js';
import { notACommand, stdinGone } from '../engine/command/stdin-channel.js';

export interface QueuedEngineOptions extends ClusterOptions {
  store: ExecutionStore;
  /** Executions waiting in a queue beyond which a start is refused (QUEUE_FULL). */
  maxQueued?: number;
  /** How long a start waits for a worker that had a free slot to take it before answering `queued`. */
  pickupMs?: number;
}

/** Workers check what depends on their machine (the sandbox, its network) again; here every isolation is possible. */
const ANY_WORKER = { mode: 'sandbox' as const };
const RECORD_DEFAULTS = { outputLimitBytes: DEFAULT_OUTPUT_LIMIT_BYTES, pidsLimit: DEFAULT_PIDS_LIMIT };
const POLL_MS = 1000;
/** How often a stop is sent again to the worker holding its execution until it ends (resendUntil). */
const CONTROL_RESEND_MS = 1000;
/** How soon a stop looks again at a record still queued once a worker has its job (stopQueued). */
const QUEUED_STOP_RELOOK_MS = 200;
/** How long a server waits for the worker holding an execution to answer a request (a stdin write). */
export const CONTROL_REPLY_MS = 5000;

interface Waiter {
  until(record: ExecutionRecord): boolean;
  resolve(record: ExecutionRecord): void;
}

/**
 * The engine of `sidex serve --queue`: runs nothing itself. A start becomes a
 * BullMQ job that a worker's engine runs; status comes from the shared store;
 * a stop goes to the worker holding the execution over a Redis channel and is
 * answered when the record is terminal; events and output come from the
 * workers through Redis streams.
 */
export class QueuedEngine extends EventEmitter<EngineEvents> implements ExecutionEngine {
  readonly store: ExecutionStore;
  private readonly queues = new Map<string, { queue: Queue; events: QueueEvents; checker: Worker }>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** The store polls of pending waits and the stops being sent again, stopped at close. */
  private readonly polls = new Set<NodeJS.Timeout>();
  private readonly reader: EventReader;
  private readonly requests: ControlRequests;
  private readonly inbox: InboxSender;
  private readonly lost: LostContext;
  private readonly countsTimer: NodeJS.Timeout;
  private readonly orphanTimer: NodeJS.Timeout;
  private counts = { running: 0, queued: 0 };
  private closing = false;

  private constructor(
    private readonly options: QueuedEngineOptions,
    private readonly connection: RedisOptions,
    private readonly redis: Redis,
    reader: Redis,
  ) {
    super();
    this.store = options.store;
    this.lost = { redis, store: options.store, bounds: boundsOf(options), tailBytes: DEFAULT_TAIL_BYTES };
    this.reader = new EventReader(reader, (name, payload) => this.deliver(name, payload));
    this.requests = new ControlRequests(redis, redis.duplicate());
    this.inbox = new InboxSender(redis, randomUUID());
    this.queueOf(undefined);
    this.countsTimer = setInterval(() => void this.refreshCounts(), 1000).unref();
    this.orphanTimer = this.sweepOrphans(options.lossMs ?? DEFAULT_LOSS_MS);
  }

  static async open(options: QueuedEngineOptions): Promise<QueuedEngine> {
    const connection = redisOptions(options.queue);
    const redis = await connectRedis(connection);
    return new QueuedEngine(options, connection, redis, redis.duplicate());
  }

  /**
   * A write to a command's stdin goes to the worker holding it, whose engine
   * answers as on one machine (its pending bytes, or its refusal). Not taken
   * within CONTROL_REPLY_MS, it is withdrawn, never written: NOT_RUNNING if
   * the command ended meanwhile, else WORKER_UNREACHABLE.
   */
  async writeStdin(id: string, data: Buffer, options: { close?: boolean } = {}): Promise<{ pendingBytes: number; open: boolean }> {
    const record = await this.store.get(id);
    if (!record) throw notFound(id);
    if (record.kind !== 'command') throw notACommand(id, record.kind);
    if (record.status === 'queued' || isTerminal(record.status)) throw stdinGone(id, record.status);
    const close = options.close === true;
    const asked = await this.requests.ask<{ pendingBytes: number; open: boolean }>(data, (reply) => this.publishControl({ op: 'stdin', id, close, reply }), CONTROL_REPLY_MS);
    if ('value' in asked) return asked.value;
    const now = await this.store.get(id);
    if ('withdrawn' in asked && (!now || isTerminal(now.status))) throw stdinGone(id, now?.status ?? 'gone');
    const what = 'withdrawn' in asked ? 'did not take the write: nothing of it was written' : 'took the write but did not answer: whether the program got it is unknown';
    throw workerUnreachable(id, now, what, { written: 'withdrawn' in asked ? 0 : null });
  }

  /** Its tree is on its worker's machine: asked of that worker, as a stdin write is. None unless it runs. */
  async processes(id: string): Promise<ProcessInfo[] | undefined> {
    const running = (record: ExecutionRecord | undefined) => record && record.status !== 'queued' && !isTerminal(record.status);
    if (!running(await this.store.get(id))) return undefined;
    const asked = await this.requests.ask<ProcessInfo[]>(Buffer.alloc(0), (reply) => this.publishControl({ op: 'processes', id, reply }), CONTROL_REPLY_MS);
    if ('value' in asked) return asked.value;
    const now = await this.store.get(id);
    if (!running(now)) return undefined; // it ended meanwhile
    throw workerUnreachable(id, now, 'did not list its processes');
  }

  /** Every worker the registry holds and the depth of every queue a start was added to. */
  workers(): Promise<ClusterWorkers> {
    return listWorkers({ redis: this.redis, queue: (name) => this.queueOf(tagsOfQueue(name)).queue, staleAfterMs: this.options.lossMs ?? DEFAULT_LOSS_MS });
  }

  get runningCount(): number {
    return this.counts.running;
  }

  get queuedCount(): number {
    return this.counts.queued;
  }

  async start(spec: StartSpec): Promise<ExecutionRecord> {
    if (this.closing) throw new SidexError('SHUTTING_DOWN', 'the server is shutting down and accepts no new executions');
    // Its retries are the queue's; a command's cwd and permission are its worker's to check.
    checkStart({ ...spec, schedule: undefined }, ANY_WORKER, { hidden: undefined, childProcessesForbidden: false });
    const tags = spec.schedule?.tags ?? [];
    const { queue } = this.queueOf(tags);
    const record: ExecutionRecord = { ...newRecord(spec, RECORD_DEFAULTS), ...(spec.schedule ? { schedule: spec.schedule } : {}) };
    // The record is written while the queue is read, one round trip sooner; a refusal then removes it.
    // Free slots are read before the job is added: a worker quick to take it would otherwise
    // already count it, and the start answer `queued`. Redis away for longer than the read's
    // bound refuses the start (nothing is queued yet); once the read answered, the add waits it out.
    const [read, inserted] = await Promise.allSettled([
      boundedRead(Promise.all([queue.count(), liveWorkers(this.redis, this.options.lossMs ?? DEFAULT_LOSS_MS)]), 'the execution was not queued'),
      this.store.insert(record, statusEvent(record)),
    ]);
    if (inserted.status === 'rejected') throw inserted.reason;
    const maxQueued = this.options.maxQueued ?? 10_000;
    // maxQueued bounds the starts waiting for a slot, as on one machine: a job a free slot will
    // take does not wait, so --max-queued 0 still runs starts while a worker has room.
    const free = read.status === 'fulfilled' ? freeSlots(read.value[1], tags) : 0;
    if (read.status === 'rejected' || read.value[0] >= maxQueued + free) {
      await this.unrecord(record).catch(() => {});
      throw read.status === 'rejected' ? read.reason : new SidexError('QUEUE_FULL', `the queue is full (${maxQueued} executions waiting)`);
    }
    const started = this.until(record.id, (r) => r.status !== 'queued' && r.status !== 'starting');
    try {
      await queue.add('run', jobDataOf(spec, { id: record.id, createdAt: record.createdAt }), jobOptions(record.id, spec.schedule));
    } catch (err) {
      started.cancel();
      const failed = { ...record, status: 'failed' as const, endedAt: Date.now(), error: { code: 'QUEUE_UNAVAILABLE', message: `cannot queue the execution: ${(err as Error).message}` } };
      await this.store.update(failed, statusEvent(failed)).catch(() => {});
      throw new SidexError('QUEUE_UNAVAILABLE', failed.error.message);
    }
    if (free > 0) {
      const running = await Promise.race([started.promise, sleep(this.options.pickupMs ?? 5000)]);
      if (running) return this.answerOf(running);
    }
    started.cancel();
    const now = (await this.store.get(record.id)) ?? record;
    if (now.status !== 'queued') return this.answerOf(now);
    return { ...now, queuePosition: await this.placeOf(queue, record.id) };
  }

  get(id: string): Promise<ExecutionRecord | undefined> {
    return this.store.get(id);
  }

  list(filter: ListFilter): Promise<ListPage> {
    return this.store.list(filter);
  }

  async wait(id: string): Promise<ExecutionRecord> {
    const ended = this.until(id, (r) => isTerminal(r.status));
    const record = await this.store.get(id);
    if (!record) {
      ended.cancel();
      throw notFound(id);
    }
    if (isTerminal(record.status)) {
      ended.cancel();
      return record;
    }
    return ended.promise;
  }

  /** Stops where the execution is: still queued, here (the job is removed); taken, on its worker. Answers once it is terminal. */
  async stop(id: string, options: StopOptions = {}): Promise<StopOutcome> {
    const before = await this.store.get(id);
    if (!before) throw notFound(id);
    if (isTerminal(before.status)) return { record: before, alreadyEnded: true };
    const ended = this.until(id, (r) => isTerminal(r.status));
    try {
      if (before.status !== 'queued' || !(await this.stopQueued(before, options, ended.promise))) this.resendUntil(ended.promise, { op: 'stop', id, options });
    } catch (err) {
      ended.cancel(); // its end could not be written (stopQueued): nothing waits for it any more
      throw err;
    }
    return { record: await ended.promise, alreadyEnded: false };
  }

  /**
   * Withdraws the job, or sends the stop to the worker that took it. A record
   * still queued a moment later may be between a try and its retry, its job
   * going back to the queue: it is looked at again until it runs or ends.
   * False once it runs: the stop is then the worker's to apply.
   */
  private async stopQueued(record: ExecutionRecord, options: StopOptions, ended: Promise<ExecutionRecord>): Promise<boolean> {
    const over = ended.then(() => true);
    for (let now: ExecutionRecord | undefined = record; now?.status === 'queued'; now = await this.store.get(record.id)) {
      if (await this.withdrawQueued(now, options)) return true;
      this.control({ op: 'stop', id: record.id, options });
      if (await Promise.race([over, sleep(QUEUED_STOP_RELOOK_MS)])) return true;
    }
    return false;
  }

  /**
   * Withdraws a queued execution's job and records it `stopped`. A record
   * queued without its job may be a start still adding it (a moment after its
   * record, or longer while Redis reconnects), or an orphan whose job never
   * comes: a tombstone takes the job's id, so that nothing added later runs
   * (job-tombstone.ts). False: a worker has it, and the stop goes there; or
   * another stop, or the sweep, is writing its end.
   */
  private async withdrawQueued(record: ExecutionRecord, options: StopOptions): Promise<boolean> {
    const { queue } = this.queueOf(record.schedule?.tags);
    for (;;) {
      const job = await startJobOf(queue, record.id);
      if (job) {
        try {
          await job.remove();
        } catch {
          return false; // a worker holds it now
        }
      } else if (!(await buryJob(queue, record.id))) continue; // its start added it meanwhile: withdraw that
      // Concurrent stops, or the orphan sweep: the first to claim writes the end. The others look again
      // (stopQueued) until it is written, and take the claim over if its holder failed to write.
      return endUnheld(this.lost, record.id, (now) => (now.status === 'queued' ? stoppedWhileQueued(now, options) : undefined));
    }
  }

  sendMessage(id: string, value: unknown): void {
    this.toInbox(id, { op: 'message', value });
  }

  setProgress(id: string, value: unknown): void {
    this.toInbox(id, { op: 'progress', value });
  }

  /** Sent again until the end, as a stop is: a block's completion must not be lost to a reconnection. Its engine keeps the first. */
  settle(id: string, settlement: ExternalSettlement): void {
    this.resendUntil(this.until(id, (r) => isTerminal(r.status)).promise, { op: 'settle', id, settlement });
  }

  /** The output its worker streamed, in order; with follow, until it ends. After the stream expires, the record's tails. */
  async *logs(id: string, options: { follow?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<LogFrame> {
    const record = await this.store.get(id);
    if (!record) throw notFound(id);
    const redis = options.follow ? this.redis.duplicate() : this.redis;
    let any = false;
    try {
      const ended = async () => isTerminal((await this.store.get(id))?.status ?? 'failed');
      for await (const frame of outputFrames(redis, id, { ...options, ended })) {
        any = true;
        yield frame;
      }
    } finally {
      if (redis !== this.redis) redis.disconnect();
    }
    if (!any) yield* tailFrames((await this.store.get(id)) ?? record);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.countsTimer);
    clearInterval(this.orphanTimer);
    await this.reader.close();
    await Promise.all([...this.queues.values()].flatMap(({ queue, events, checker }) => [queue.close(), events.close(), checker.close()]));
    for (const timer of this.polls) clearInterval(timer);
    this.requests.close();
    this.redis.disconnect();
  }

  // ---- internals -----------------------------------------------------------

  /**
   * What a start answers: the record, or, when its worker refused it (bad for
   * that machine), the refusal thrown as one machine throws it, leaving no
   * record behind.
   */
  private async answerOf(record: ExecutionRecord): Promise<ExecutionRecord> {
    if (record.status !== 'failed') return record;
    const refusal = await takeRefusal(this.redis, record.id);
    if (!refusal) return record;
    await this.store.deleteEnded([record.id]).catch(() => {});
    throw refusal;
  }

  /** A start refused after its record was written: the record goes, as if never written. */
  private async unrecord(record: ExecutionRecord): Promise<void> {
    await this.store.update({ ...record, status: 'failed', endedAt: Date.now() });
    await this.store.deleteEnded([record.id]);
  }

  /**
   * The queue of this tag set, with its QueueEvents (a stalled job is a lost
   * worker) and a stalled-job checker: a dead worker's jobs are failed even
   * when no other worker serves that queue.
   */
  private queueOf(tags: readonly string[] | undefined) {
    const name = queueName(tags);
    let entry = this.queues.get(name);
    if (!entry) {
      const shared = { connection: bullConnection(this.connection), prefix: QUEUE_PREFIX };
      const events = new QueueEvents(name, shared);
      // Stalled once is lost (maxStalledCount 0): BullMQ fails the job when a worker next fetches it, never running it again.
      events.on('stalled', ({ jobId }) => void recordLost(this.lost, jobId).catch(() => {}));
      events.on('failed', ({ jobId, failedReason }) => {
        if (failedReason === STALLED_REASON) void recordLost(this.lost, jobId).catch(() => {});
      });
      events.on('error', () => {});
      const checker = new Worker(name, null, { ...shared, autorun: false, ...lockSettings(this.options.lossMs) });
      checker.on('error', () => {});
      void checker.startStalledCheckTimer().catch(() => {});
      const queue = new Queue(name, shared);
      queue.on('error', () => {});
      entry = { queue, events, checker };
      this.queues.set(name, entry);
      void this.redis.sadd(QUEUES_SET, name).catch(() => {}); // listed by every server from now on
    }
    return entry;
  }

  /**
   * Looks for records left `queued` without a job (orphan-sweep.ts) once per
   * loss bound: queued six bounds ago at least, and seen without a job twice,
   * a bound apart. One pass at a time; a look at the queue waits on Redis 5 s
   * at most.
   */
  private sweepOrphans(lossMs: number): NodeJS.Timeout {
    const sweep = new OrphanSweep({
      lost: this.lost,
      hasJob: async (record) => (await boundedRead(startJobOf(this.queueOf(record.schedule?.tags).queue, record.id), 'cannot look for a job')) !== undefined,
      bury: (record) => boundedRead(buryJob(this.queueOf(record.schedule?.tags).queue, record.id), 'cannot bury a job'),
      minAgeMs: 6 * lossMs,
      confirmMs: lossMs,
    });
    let pass: Promise<unknown> | undefined;
    return setInterval(() => {
      pass ??= sweep.pass().catch(() => {}).finally(() => (pass = undefined));
    }, lossMs).unref();
  }

  /**
   * 1 for the next job taken. Every job has a priority, so all wait in
   * BullMQ's prioritized set, ordered by priority, then arrival: the rank
   * there is the place (the count of waiting jobs if it has just been taken).
   */
  private async placeOf(queue: Queue, id: string): Promise<number> {
    const rank = await this.redis.zrank(`${QUEUE_PREFIX}:${queue.name}:prioritized`, id);
    return rank === null ? await queue.count() : rank + 1;
  }

  /**
   * Pub/sub keeps nothing: a stop published while the worker's subscription
   * reconnects (a Redis restart, a dropped connection) would never arrive, and
   * the stop would wait for an end on its own. So it is sent again until the
   * end; the worker's engine takes a repeated stop as one (its grace is never
   * lengthened), and a repeated settlement as none.
   */
  private resendUntil(over: Promise<unknown>, message: ControlMessage): void {
    this.control(message);
    const timer = setInterval(() => this.control(message), CONTROL_RESEND_MS).unref();
    this.polls.add(timer);
    void over.finally(() => {
      clearInterval(timer);
      this.polls.delete(timer);
    });
  }

  /** Into the execution's inbox, then a wake-up for its worker (inbox.ts). */
  private toInbox(id: string, op: InboxOp): void {
    void this.inbox.send(id, op).catch(() => {});
    this.control({ op: 'inbox', id });
  }

  private control(message: ControlMessage): void {
    void this.publishControl(message).catch(() => {});
  }

  private publishControl(message: ControlMessage): Promise<unknown> {
    return this.redis.publish(CONTROL_CHANNEL, JSON.stringify(message));
  }

  private deliver<E extends EventName>(name: E, payload: EngineEvents[E][0]): void {
    if (name === 'status') {
      const record = payload as ExecutionRecord;
      for (const waiter of this.waiters.get(record.id) ?? []) if (waiter.until(record)) waiter.resolve(record);
    }
    (this.emit as (event: string, arg: unknown) => boolean)(name, payload);
  }

  /**
   * Resolves with the first record of `id` that satisfies `until`: from the
   * events stream, or from the store (polled, should an event be missed).
   */
  private until(id: string, until: (record: ExecutionRecord) => boolean): { promise: Promise<ExecutionRecord>; cancel(): void } {
    let waiters = this.waiters.get(id);
    if (!waiters) this.waiters.set(id, (waiters = new Set()));
    const set = waiters;
    let timer: NodeJS.Timeout | undefined;
    let waiter!: Waiter;
    const cancel = () => {
      clearInterval(timer);
      if (timer) this.polls.delete(timer);
      set.delete(waiter);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
    };
    const promise = new Promise<ExecutionRecord>((resolve) => {
      waiter = { until, resolve: (record) => (cancel(), resolve(record)) };
    });
    set.add(waiter);
    timer = setInterval(() => {
      void this.store.get(id).then((record) => record && until(record) && waiter.resolve(record), () => {});
    }, POLL_MS);
    this.polls.add(timer);
    return { promise, cancel };
  }

  private async refreshCounts(): Promise<void> {
    try {
      let running = 0;
      let queued = 0;
      for (const { queue } of this.queues.values()) {
        const depth = await depthOf(queue);
        running += depth.active;
        queued += depth.waiting + depth.delayed;
      }
      this.counts = { running, queued };
    } catch {
      // Redis away: the last counts stand
    }
  }
}

/** A queued execution stopped while no worker held it (before any did, or between tries): nothing runs, so nothing was forced. */
function stoppedWhileQueued(record: ExecutionRecord, options: StopOptions): ExecutionRecord {
  const stoppedAt = Date.now();
  const reason = options.reason ?? 'user';
  return {
    ...record,
    ...finalFields({ stopReason: reason, outcome: undefined, exit: undefined, stderrTail: '', lastCheckpoint: record.checkpoint, timeoutMs: record.timeoutMs, memoryLimitBytes: record.memoryLimitBytes, outputLimitBytes: record.outputLimitBytes }),
    stopReason: reason,
    forced: false,
    stoppedAt,
    endedAt: stoppedAt,
  };
}

function* tailFrames(record: ExecutionRecord): Generator<LogFrame> {
  const time = record.endedAt ?? record.createdAt;
  if (record.stdout.text) yield { stream: 'stdout', time, data: Buffer.from(record.stdout.text) };
  if (record.stderr.text) yield { stream: 'stderr', time, data: Buffer.from(record.stderr.text) };
}

const sleep = (ms: number) => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref());

/** The worker holding a running execution did not answer a request about it in time. */
function workerUnreachable(id: string, record: ExecutionRecord | undefined, what: string, details: Record<string, unknown> = {}): SidexError {
  const worker = record?.worker ?? 'not named yet';
  return new SidexError('WORKER_UNREACHABLE', `execution "${id}": within ${CONTROL_REPLY_MS} ms its worker (${worker}) ${what}; if the worker is gone, the execution ends supervisor_lost`, {
    id,
    worker,
    ...details,
  });
}

function notFound(id: string): SidexError {
  return new SidexError('EXECUTION_NOT_FOUND', `no execution with id "${id}"`);
}
