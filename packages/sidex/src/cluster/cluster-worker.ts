import os from 'node:os';
import { Worker, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { SidexError } from '../errors.js';
import { DEFAULT_TAIL_BYTES, type Engine, type StopOptions } from '../engine/engine.js';
import { statusEvent } from '../engine/final-status.js';
import { shownIsolation } from '../engine/sandbox/isolation.js';
import { isTerminal, type ExecutionRecord } from '../model/record.js';
import type { Sidex } from '../sidex.js';
import { boundsOf, DEFAULT_LOSS_MS, lockSettings, type ClusterOptions } from './cluster-options.js';
import { parseControl, type ControlMessage } from './control.js';
import { appendEvent, endOutput, publishEngineEvents, type EnginePublisher } from './event-stream.js';
import { CONTROL_CHANNEL, outputStream, QUEUE_PREFIX, queuesServed } from './keys.js';
import type { LostContext } from './lost-executions.js';
import { InboxReader, withEntries, type InboxOp } from './inbox.js';
import { isTombstone, specOfJob, type JobData, type Tombstone } from './job-data.js';
import { keepRefusal } from './start-refusal.js';
import { answer, takeRequest } from './control-request.js';
import { bullConnection, connectRedis, redisOptions } from './redis-url.js';
import { publishWorkerState, removeWorker } from './worker-registry.js';

/** An execution this worker took; `live`: the engine holds it (stops go straight to it); `running`: its inbox is taken. */
interface Held {
  live: boolean;
  running: boolean;
  inbox: InboxReader;
  pendingStop?: StopOptions;
  stdin?: Promise<void>;
}

/** How often a worker looks into the inboxes of its running executions, for a wake-up that was lost (inbox.ts). */
const INBOX_LOOK_MS = 1000;

export interface ClusterWorkerOptions extends ClusterOptions {
  /** Named in each record it runs (default host:pid). */
  name: string;
  /** Executions it runs at once. */
  concurrency: number;
  /** Tags it serves: it takes starts requiring any subset of them. */
  tags: string[];
  /** Grace of the stops when it is told to shut down. */
  shutdownGraceMs: number;
  onError?: (message: string, err: unknown) => void;
}

/** At most 4 tags: a worker serves the queue of every subset of them (16). */
export const MAX_WORKER_TAGS = 4;

/**
 * `sidex worker`: takes executions from the queues it serves and runs them on
 * its local engine (warm pool, sandbox, limits). A job stays active, its lock
 * renewed by BullMQ, for as long as its execution runs; if this process dies
 * the lock expires and the job fails as stalled (never run again), which
 * every server and worker turns into `supervisor_lost`.
 */
export class ClusterWorker {
  private readonly workers: Worker[];
  /** Executions this worker took, by id; `live`: the engine holds them (stops go straight to it). */
  private readonly held = new Map<string, Held>();
  private readonly lost: LostContext;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly inboxLooks: NodeJS.Timeout;
  private readonly publisher: EnginePublisher;
  private paused = false;
  private readonly startedAt = Date.now();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly sidex: Sidex<Engine>,
    private readonly options: ClusterWorkerOptions,
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {
    const engine = sidex.engine;
    const bounds = boundsOf(options);
    this.lost = { redis, store: engine.store, bounds, tailBytes: DEFAULT_TAIL_BYTES };
    this.publisher = publishEngineEvents(engine, redis, bounds);
    engine.on('status', (record) => this.onStatus(record));
    const connection = bullConnection(redisOptions(options.queue));
    this.workers = queuesServed(options.tags).map((queue) => {
      const worker = new Worker<JobData | Tombstone>(queue, (job, token) => this.run(job, token), {
        connection,
        prefix: QUEUE_PREFIX,
        name: options.name,
        concurrency: options.concurrency,
        ...lockSettings(options.lossMs),
      });
      worker.on('error', (err) => this.options.onError?.('queue worker error', err));
      return worker;
    });
    subscriber.on('message', (_channel: string, text: string) => {
      const message = parseControl(text);
      if (message && this.held.has(message.id)) void this.apply(message);
    });
    void subscriber.subscribe(CONTROL_CHANNEL);
    this.heartbeat = setInterval(() => void this.publishState(), Math.max(250, (options.lossMs ?? DEFAULT_LOSS_MS) / 4)).unref();
    void this.publishState();
    this.inboxLooks = setInterval(() => void this.lookIntoInboxes(), INBOX_LOOK_MS).unref();
  }

  static async start(sidex: Sidex<Engine>, options: ClusterWorkerOptions): Promise<ClusterWorker> {
    if (options.tags.length > MAX_WORKER_TAGS) {
      throw new SidexError('INVALID_CONFIG', `tags: a worker serves at most ${MAX_WORKER_TAGS} tags (got ${options.tags.length})`, { field: 'tags' });
    }
    const connection = redisOptions(options.queue);
    const redis = await connectRedis(connection);
    const subscriber = redis.duplicate();
    subscriber.on('error', () => {});
    const worker = new ClusterWorker(sidex, options, redis, subscriber);
    await Promise.all(worker.workers.map((w) => w.waitUntilReady()));
    return worker;
  }

  get running(): number {
    return this.held.size;
  }

  /**
   * SIGTERM: takes no new work, stops what runs with the stop protocol
   * (reason `shutdown`) within the grace, then lets its jobs complete.
   */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await Promise.all(this.workers.map((w) => w.pause(true).catch(() => {})));
      void this.publishState(); // draining, at once: servers route no start here
      await this.sidex.close({ graceMs: this.options.shutdownGraceMs });
      await Promise.all(this.workers.map((w) => w.close().catch(() => {})));
      clearInterval(this.heartbeat);
      clearInterval(this.inboxLooks);
      this.publisher.close();
      await removeWorker(this.redis, this.options.name).catch(() => {});
      this.subscriber.disconnect();
      await this.redis.quit().catch(() => this.redis.disconnect());
    })());
  }

  private async run(job: Job<JobData | Tombstone>, token: string | undefined): Promise<string> {
    if (isTombstone(job.data)) return 'tombstone'; // its execution was ended before its job came: nothing to run
    const id = job.id!;
    if (this.closing) {
      // Taken as the shutdown began: back to the queue for another worker.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    this.held.set(id, { live: false, running: false, inbox: new InboxReader(this.redis, id, (op) => this.fromInbox(id, op)) });
    this.gate();
    try {
      const engine = this.sidex.engine;
      const spec = specOfJob(job.data);
      spec.retryFollows = (job.opts.attempts ?? 1) - job.attemptsMade > 1;
      // A retry's output replaces the failed try's, and is numbered after it.
      if (job.attemptsMade > 0) {
        const [newest] = (await this.redis.xrevrange(outputStream(id), '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
        await this.redis.del(outputStream(id));
        this.publisher.beginRetry(id, newest?.[0]);
      }
      try {
        if (spec.kind === 'command' && spec.cwd) spec.cwd = this.sidex.services.commands.confine(spec.cwd);
        await engine.start(spec);
      } catch (err) {
        await this.refused(id, err);
        return 'failed';
      }
      const final = await engine.wait(id);
      // An opted-in retry (its record queued again): BullMQ runs it after the backoff, under the same id.
      if (final.status === 'queued') throw new Error('the try failed; a retry follows');
      return final.status;
    } finally {
      this.publisher.tryEnded(id);
      this.held.delete(id);
      this.gate();
    }
  }

  /**
   * A start the engine refused (bad for this machine: a cwd it lacks, a network
   * without a sandbox, the pool shut): its record fails, and the server
   * waiting on the start answers with the refusal itself (start-refusal.ts).
   */
  private async refused(id: string, err: unknown): Promise<void> {
    const record = await this.sidex.engine.store.get(id);
    if (!record || isTerminal(record.status)) return;
    await keepRefusal(this.redis, id, err).catch(() => {});
    const code = err instanceof SidexError ? err.code : 'START_FAILED';
    const failed: ExecutionRecord = { ...record, status: 'failed', worker: this.options.name, endedAt: Date.now(), error: { code, message: (err as Error).message } };
    await this.sidex.engine.store.update(failed, statusEvent(failed));
    await appendEvent(this.redis, this.lost.bounds, 'status', failed);
    await endOutput(this.redis, this.lost.bounds, id);
  }

  private async apply(message: ControlMessage): Promise<void> {
    const held = this.held.get(message.id)!;
    const engine = this.sidex.engine;
    try {
      switch (message.op) {
        case 'stop':
          if (!held.live) held.pendingStop = message.options; // applied once the engine holds it
          else await engine.stop(message.id, message.options);
          return;
        case 'inbox':
          if (held.running) await held.inbox.take();
          return;
        case 'settle':
          return engine.settle(message.id, message.settlement);
        case 'processes':
          return await this.answerProcesses(message);
        case 'stdin': {
          // One write after the other, in the order they were sent: each fetches its bytes first.
          const write = message;
          held.stdin = (held.stdin ?? Promise.resolve()).then(() => this.writeStdin(write));
          return;
        }
      }
    } catch (err) {
      this.options.onError?.(`control ${message.op} of ${message.id} failed`, err);
    }
  }

  /** A stdin write, answered with the engine's result or its refusal; one its server has withdrawn (too late) is not written. */
  private async writeStdin(message: Extract<ControlMessage, { op: 'stdin' }>): Promise<void> {
    try {
      const data = await takeRequest(this.redis, message.reply);
      if (!data) return;
      const state = await this.sidex.engine.writeStdin(message.id, data, { close: message.close });
      await answer(this.redis, message.reply, { value: state });
    } catch (err) {
      await answer(this.redis, message.reply, { error: err }).catch(() => {});
    }
  }

  /** Its tree now, as this machine sees it (none once it has ended). */
  private async answerProcesses(message: Extract<ControlMessage, { op: 'processes' }>): Promise<void> {
    if (!(await takeRequest(this.redis, message.reply))) return; // withdrawn: its server has stopped waiting
    await answer(this.redis, message.reply, { value: this.sidex.engine.processes(message.id) ?? [] });
  }

  private onStatus(record: ExecutionRecord): void {
    const held = this.held.get(record.id);
    if (!held || isTerminal(record.status)) return;
    const ran = held.running;
    held.running = record.status === 'running';
    // What was sent before it ran waits in its inbox.
    if (held.running && !ran) void held.inbox.take().catch((err: unknown) => this.options.onError?.(`the inbox of ${record.id} was not read`, err));
    if (held.live) return;
    held.live = true;
    if (held.pendingStop) void this.sidex.engine.stop(record.id, held.pendingStop).catch(() => {});
  }

  /** A message or progress from the execution's inbox, in the order sent. */
  private fromInbox(id: string, entry: InboxOp): void {
    const engine = this.sidex.engine;
    try {
      if (entry.op === 'message') engine.sendMessage(id, entry.value);
      else engine.setProgress(id, entry.value);
    } catch (err) {
      this.options.onError?.(`${entry.op} for ${id} failed`, err);
    }
  }

  /** For a wake-up lost to a reconnection: one round trip finds the running executions whose inbox holds entries. */
  private async lookIntoInboxes(): Promise<void> {
    const running = [...this.held].filter(([, held]) => held.running).map(([id]) => id);
    try {
      for (const id of await withEntries(this.redis, running)) void this.held.get(id)?.inbox.take().catch(() => {});
    } catch {
      // Redis away: the next look
    }
  }

  /**
   * One slot count over every queue served: with several queues (tags), the
   * others stop taking jobs while this worker is full. A fetch already under
   * way may still bring one more, which the engine queues locally.
   */
  private gate(): void {
    void this.publishState();
    if (this.workers.length < 2 || this.closing) return;
    const full = this.held.size >= this.options.concurrency;
    if (full === this.paused) return;
    this.paused = full;
    for (const w of this.workers) void (full ? w.pause(true) : Promise.resolve(w.resume())).catch(() => {});
  }

  /** What the servers route by (a draining worker has no free slot) and what `GET /v1/workers` shows. */
  private publishState(): Promise<unknown> {
    const { name, concurrency, tags } = this.options;
    const isolation = shownIsolation(this.sidex.engine.isolation);
    const about = { host: os.hostname(), pid: process.pid, startedAt: this.startedAt, memoryBytes: process.memoryUsage.rss(), isolation };
    return publishWorkerState(this.redis, { name, concurrency, running: this.held.size, tags, draining: Boolean(this.closing), ...about }).catch(() => {});
  }
}
