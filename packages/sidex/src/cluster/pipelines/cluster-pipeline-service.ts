// The pipeline service of `sidex serve --queue` (docs/cluster.md, "Pipelines").
// A task is held by the server that started it: its state lives there, its
// process on a worker. Each call that names a task runs where the task is
// held: here, or on the holding server, asked over Redis with the call's
// input as it came, which answers what it would answer its own clients
// (same replies, same errors). Nothing of the service's logic is repeated:
// each method either calls the local one or forwards its input.
import type { Redis } from 'ioredis';
import type { TaskSummary, UseResult } from '@sidex/protocol';
import type { ActionBlockCatalog } from '../../catalog/action-blocks/action-block-catalog.js';
import type { ExecutionEngine } from '../../engine/execution-engine.js';
import { TYPES_OF_EVENT, type MonitorType, type PipelineEvent, type PipelineEventName } from '../../engine/pipelines/events.js';
import { SidexError } from '../../errors.js';
import type { MonitorTarget, PipelineListener } from '../../services/pipeline/monitors.js';
import { DEFAULT_PIPELINE_LIMITS, PipelineService, type PipelineServiceOptions } from '../../services/pipeline-service.js';
import { DEFAULT_BUS_TIMINGS, PipelineBus, type BusTimings, type Note } from './bus.js';
import { sourceKey, TaskOwners, tokenKey, type ServerState } from './owners.js';
import { mergeCurrent, ReplayGate } from './replay-gate.js';

export interface ClusterPipelineLinks {
  /** Commands and publishing (one connection: what a server publishes reaches others in order). */
  redis: Redis;
  /** Subscribed to this server's channel and the shared one. */
  subscriber: Redis;
  /** The Redis database of the queue: pub/sub channels span databases, so they name it. */
  db: number;
  /** This server's id in the cluster. */
  server: string;
  /** How long a server's claims outlive its last heartbeat (the loss bound, lossMs). */
  ttlMs: number;
  bus?: BusTimings;
  onError?: (message: string, err: unknown) => void;
}

type Input<M extends keyof PipelineService> = PipelineService[M] extends (input: infer A, ...rest: never[]) => unknown ? A : never;
type Where = { projectId: string; source: string };

const EVENT_NAMES = Object.keys(TYPES_OF_EVENT) as PipelineEventName[];

export class ClusterPipelineService extends PipelineService {
  private readonly owners: TaskOwners;
  private readonly bus: PipelineBus;
  private readonly server: string;
  private heartbeat: NodeJS.Timeout | undefined;
  private beating = false;
  /** Tokens of the tasks started here, until they have ended and their claim is dropped. */
  private readonly local = new Set<string>();
  /** Source keys claimed for tasks started here. */
  private readonly sources = new Set<string>();
  /** Keys claimed by use() calls under way here: kept until they end. */
  private readonly inFlight = new Map<string, number>();
  /** The servers alive at the last heartbeat, and what their monitors want. */
  private servers = new Map<string, ServerState>();
  /** Pipes other servers' clients opened on tasks held here: abandoned if their server goes. */
  private readonly remotePipes = new Map<string, Set<string>>();
  private readonly gates = new WeakMap<PipelineListener, ReplayGate>();
  private wants: ServerState = { v: 0, wants: [] };

  constructor(
    private readonly executions: ExecutionEngine,
    blocks: ActionBlockCatalog,
    options: PipelineServiceOptions,
    private readonly links: ClusterPipelineLinks,
  ) {
    super(executions, blocks, options);
    this.server = links.server;
    this.owners = new TaskOwners(links.redis, links.server, links.ttlMs);
    this.bus = new PipelineBus(links.redis, links.subscriber, links.db, links.server, {
      request: (from, method, args) => this.serve(from, method, args),
      note: (note) => this.onNote(note),
      undelivered: (from, method, args, value) => this.undelivered(from, method, args, value),
      isLive: (server) => this.owners.isLive(server),
    }, links.bus ?? DEFAULT_BUS_TIMINGS);
  }

  /** Listens for other servers, says it is alive, and keeps saying so. */
  async start(): Promise<void> {
    await this.bus.listen();
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), Math.max(250, Math.floor(this.links.ttlMs / 4))).unref();
  }

  // ---- calls routed to the server holding the task -------------------------------

  override async use(input: Input<'use'>): Promise<UseResult> {
    const { token, useExisting } = fields(input);
    // The key that says who may start (or already runs) this task: its token, or for useExisting its project's source.
    const where = token ? undefined : useExisting === true ? this.whereOf(input) : undefined;
    const key = token ? tokenKey(token) : where ? sourceKey(where) : undefined;
    if (!key) return this.useHere(input);
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    let claimed = false;
    try {
      const holder = await this.owners.claim(key);
      if (holder !== this.server) return await this.ask(holder, 'use', [input], token);
      claimed = true;
      return await this.useHere(input);
    } finally {
      const left = this.inFlight.get(key)! - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
      // A use that started nothing here (a bad pipeline, a failed start) gives its claim back.
      if (claimed && left === 0 && !this.holds(key)) await this.owners.release(key).catch(() => {});
    }
  }

  override restart(input: Input<'restart'>): Promise<UseResult> {
    return fields(input).token ? this.viaToken('restart', input, () => super.restart(input)) : this.viaSource('restart', input, () => super.restart(input));
  }

  override terminate(input: Input<'terminate'>): Promise<Record<string, never>> {
    return this.viaToken('terminate', input, () => super.terminate(input));
  }

  override getTaskStatus(input: Input<'getTaskStatus'>): ReturnType<PipelineService['getTaskStatus']> {
    return this.viaToken('getTaskStatus', input, () => super.getTaskStatus(input));
  }

  override getPipeline(input: Input<'getPipeline'>): Promise<{ pipeline: unknown }> {
    return this.viaToken('getPipeline', input, () => super.getPipeline(input));
  }

  override getToken(input: Input<'getToken'>): Promise<{ token: string }> {
    return this.viaSource('getToken', input, () => super.getToken(input));
  }

  override open(input: Input<'open'>): Promise<{ pipe_id: number }> {
    return this.viaToken('open', input, () => super.open(input));
  }

  override write(input: Input<'write'>): Promise<Record<string, never>> {
    return this.viaToken('write', input, () => super.write(input));
  }

  override close(input: Input<'close'>): ReturnType<PipelineService['close']> {
    return this.viaToken('close', input, () => super.close(input));
  }

  override abandon(input: Input<'abandon'>): Promise<Record<string, never>> {
    return this.viaToken('abandon', input, () => super.abandon(input));
  }

  /** Every server's tasks that have not ended (a server that does not answer is left out). */
  override async getTasks(): Promise<{ tasks: TaskSummary[] }> {
    const lists = await this.everywhere('getTasks', [], () => super.getTasks());
    return { tasks: lists.flatMap((l) => l.tasks) };
  }

  override async describeTasks(): ReturnType<PipelineService['describeTasks']> {
    const lists = await this.everywhere('describeTasks', [], () => super.describeTasks());
    return { tasks: lists.flatMap((l) => l.tasks) };
  }

  // ---- monitors ------------------------------------------------------------------

  /** As on one server; the current state comes from the servers holding the tasks watched, and a monitor unable to get it is refused. */
  override async monitor(input: Input<'monitor'>, listener: PipelineListener): ReturnType<PipelineService['monitor']> {
    if (typeof listener !== 'function') return super.monitor(input, listener);
    const gate = new ReplayGate(listener);
    this.gates.set(gate.listener, gate);
    const unsubscribe = await super.monitor(input, gate.listener);
    const end = () => {
      unsubscribe();
      void this.announce();
    };
    if (gate.failed) {
      end();
      throw gate.failed;
    }
    return Object.assign(end, { key: unsubscribe.key, empty: unsubscribe.empty });
  }

  protected override async replay(target: MonitorTarget, types: readonly MonitorType[], listener: PipelineListener): Promise<void> {
    const gate = this.gates.get(listener) ?? new ReplayGate(listener);
    await this.announce(); // before the state is asked for: the holders' events after it reach this server
    let current: PipelineEvent[] = [];
    try {
      current = await this.currentEverywhere(target, types);
    } catch (err) {
      gate.failed = err;
    }
    gate.open(current);
  }

  /** Events of tasks held here also go to the servers whose monitors want them. */
  protected override dispatch(event: PipelineEvent): void {
    super.dispatch(event);
    if (this.wantedElsewhere(event.event)) void this.bus.tell({ t: 'event', from: this.server, event });
  }

  protected override wantsEvent(event: PipelineEventName): boolean {
    return super.wantsEvent(event) || this.wantedElsewhere(event);
  }

  // ---- shutdown ------------------------------------------------------------------

  /** Its tasks drain as on one server (other servers' calls to them are still served), then its claims go. */
  override async shutdown(options: { drainMs?: number } = {}): Promise<void> {
    await super.shutdown(options);
    clearInterval(this.heartbeat);
    await this.owners.leave([...[...this.local].map(tokenKey), ...this.sources]).catch((err) => this.warn('cannot remove the pipeline claims of this server', err));
    await this.bus.close();
    await this.links.redis.quit().catch(() => this.links.redis.disconnect());
  }

  // ---- internals -----------------------------------------------------------------

  /** Runs `here` if the task of the input's token is held here or by nobody (the local answer then stands), else asks its holder. */
  private async viaToken<T>(method: string, input: unknown, here: () => Promise<T>): Promise<T> {
    const token = fields(input).token;
    const holder = token && !this.local.has(token) ? await this.owners.holderOf(tokenKey(token)) : undefined;
    if (!holder || holder === this.server) return here();
    return this.ask(holder, method, [input], token);
  }

  /** As viaToken, for calls naming a project's source. */
  private async viaSource<T>(method: string, input: unknown, here: () => Promise<T>): Promise<T> {
    const { projectId, source } = fields(input);
    const holder = typeof source === 'string' ? await this.owners.holderOf(sourceKey({ projectId: typeof projectId === 'string' ? projectId : '', source })) : undefined;
    if (!holder || holder === this.server) return here();
    return this.ask(holder, method, [input]);
  }

  /** Whether a task started here holds `key`. */
  private holds(key: string): boolean {
    return this.sources.has(key) || [...this.local].some((token) => tokenKey(token) === key);
  }

  private async ask<T>(server: string, method: string, args: unknown[], token?: string): Promise<T> {
    return (await this.bus.request(server, method, args, () => ownerLost(server, token))) as T;
  }

  /** This server's answer and every other live server's. */
  private async everywhere<T>(method: string, args: unknown[], here: () => Promise<T>): Promise<T[]> {
    const others = [...this.servers.keys()].filter((s) => s !== this.server);
    const remote = await Promise.all(others.map((s) => this.ask<T>(s, method, args).catch(() => undefined)));
    return [await here(), ...remote.filter((r): r is Awaited<T> => r !== undefined)];
  }

  private async currentEverywhere(target: MonitorTarget, types: readonly MonitorType[]): Promise<PipelineEvent[]> {
    const here = async () => super.currentEvents(target, types);
    if ('token' in target && target.token === '*') return mergeCurrent(await this.everywhere('currentEvents', [target, types], here));
    const key = 'token' in target ? (this.local.has(target.token) ? undefined : tokenKey(target.token)) : sourceKey(target);
    const holder = key ? await this.owners.holderOf(key) : undefined;
    if (!holder || holder === this.server) return here();
    return this.ask(holder, 'currentEvents', [target, types], 'token' in target ? target.token : undefined);
  }

  /** A use that runs here: the task's token (and source) are claimed for this server as soon as it runs. */
  private async useHere(input: Input<'use'>): Promise<UseResult> {
    const reply = await super.use(input);
    this.local.add(reply.token);
    this.sources.add(sourceKey(reply));
    await this.owners.register({ token: reply.token, id: reply.id, projectId: reply.projectId, source: reply.source }).catch((err) => this.warn(`cannot register task ${reply.token}`, err));
    return reply;
  }

  /** The project and source a use() with useExisting would run (undefined if the pipeline is invalid: the local use says why). */
  private whereOf(input: Input<'use'>): Where | undefined {
    try {
      const { pipeline, source } = input as { pipeline: unknown; source?: string };
      const report = this.validate({ pipeline, ...(source !== undefined ? { source } : {}) } as Input<'validate'>);
      if (!report.valid || report.source === undefined) return undefined;
      return { projectId: typeof report.pipeline.project_id === 'string' ? report.pipeline.project_id : '', source: report.source };
    } catch {
      return undefined;
    }
  }

  /** A call another server forwarded: run here as if a client of this server asked. */
  private async serve(from: string, method: string, args: unknown[]): Promise<unknown> {
    const [input, types] = args as [never, MonitorType[]];
    switch (method) {
      case 'use':
        return this.useHere(input);
      case 'restart':
        return super.restart(input);
      case 'terminate':
        return super.terminate(input);
      case 'getTaskStatus':
        return super.getTaskStatus(input);
      case 'getPipeline':
        return super.getPipeline(input);
      case 'getToken':
        return super.getToken(input);
      case 'open': {
        const reply = await super.open(input);
        this.pipesOf(from).add(pipeKey(fields(input).token, reply.pipe_id));
        return reply;
      }
      case 'write':
        return super.write(input);
      case 'close':
        this.remotePipes.get(from)?.delete(pipeKey(fields(input).token, fields(input).pipe_id));
        return super.close(input);
      case 'abandon':
        this.remotePipes.get(from)?.delete(pipeKey(fields(input).token, fields(input).pipe_id));
        return super.abandon(input);
      case 'getTasks':
        return super.getTasks();
      case 'describeTasks':
        return super.describeTasks();
      case 'currentEvents':
        return super.currentEvents(input as MonitorTarget, types);
    }
    throw new SidexError('INTERNAL_ERROR', `no pipeline call "${method}" to run for another server`);
  }

  /** The reply to an open reached nobody: its pipe would hold a thread for ever. */
  private undelivered(from: string, method: string, args: unknown[], value: unknown): void {
    if (method !== 'open') return;
    const token = fields(args[0]).token;
    const pipeId = (value as { pipe_id: number }).pipe_id;
    this.remotePipes.get(from)?.delete(pipeKey(token, pipeId));
    super.abandon({ token, pipe_id: pipeId } as Input<'abandon'>).catch(() => {});
  }

  private pipesOf(server: string): Set<string> {
    let pipes = this.remotePipes.get(server);
    if (!pipes) this.remotePipes.set(server, (pipes = new Set()));
    return pipes;
  }

  /** Pipes opened by the clients of a server that is gone, as those of a client that went away. */
  private abandonPipesOfGone(): void {
    for (const [server, pipes] of this.remotePipes) {
      if (this.servers.has(server)) continue;
      this.remotePipes.delete(server);
      for (const pipe of pipes) {
        const [token, pipeId] = pipe.split('\n') as [string, string];
        super.abandon({ token, pipe_id: Number(pipeId) } as Input<'abandon'>).catch(() => {});
      }
    }
  }

  private onNote(note: Note): void {
    if (note.t === 'event') super.dispatch(note.event as PipelineEvent);
    else this.heard(note.from, { v: note.v, wants: note.wants });
  }

  private heard(server: string, state: ServerState): void {
    if ((this.servers.get(server)?.v ?? -1) <= state.v) this.servers.set(server, state);
  }

  private wantedElsewhere(event: PipelineEventName): boolean {
    for (const [server, state] of this.servers) if (server !== this.server && state.wants.includes(event)) return true;
    return false;
  }

  /** Tells the other servers which events this server's monitors want, when that changes; resolves once Redis has it. */
  private async announce(): Promise<void> {
    const wants = EVENT_NAMES.filter((name) => super.wantsEvent(name));
    if (wants.join() === this.wants.wants.join()) return;
    this.wants = { v: this.wants.v + 1, wants };
    await this.owners.publish(this.wants).catch((err) => this.warn('cannot publish this server\'s state', err));
    await this.bus.tell({ t: 'wants', from: this.server, ...this.wants });
  }

  /**
   * Every ttl/4: says this server is alive, learns which others are, stops the
   * tasks of those gone, refreshes the claims of its tasks and drops those of
   * tasks that have ended.
   */
  private async beat(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      await this.owners.publish(this.wants);
      const { live, gone } = await this.owners.survey();
      for (const server of this.servers.keys()) if (!live.has(server)) this.servers.delete(server);
      for (const [server, state] of live) this.heard(server, state);
      for (const server of gone) void this.stopTasksOf(server);
      this.abandonPipesOfGone();
      await this.refreshClaims();
    } catch (err) {
      this.warn('pipeline heartbeat failed', err);
    } finally {
      this.beating = false;
    }
  }

  private async refreshClaims(): Promise<void> {
    const { tasks } = await super.getTasks();
    const running = new Set(tasks.map((t) => t.token));
    const runningSources = new Set(tasks.map(sourceKey));
    for (const task of tasks) {
      this.local.add(task.token);
      this.sources.add(sourceKey(task));
      await this.owners.register({ token: task.token, id: task.id, projectId: task.projectId, source: task.source });
    }
    for (const key of this.inFlight.keys()) await this.owners.hold(key);
    for (const token of this.local) {
      if (running.has(token) || this.inFlight.has(tokenKey(token))) continue;
      await this.owners.release(tokenKey(token));
      await this.owners.unlist(token);
      this.local.delete(token);
    }
    for (const key of this.sources) {
      if (runningSources.has(key) || this.inFlight.has(key)) continue;
      await this.owners.release(key);
      this.sources.delete(key);
    }
  }

  /** A server gone with its tasks: their processes, on the workers, have nobody to feed or end them. */
  private async stopTasksOf(server: string): Promise<void> {
    try {
      const tasks = await this.owners.takeTasksOf(server);
      const graceMs = DEFAULT_PIPELINE_LIMITS.graceMs;
      await Promise.all(tasks.map((t) => this.executions.stop(t.id, { reason: 'supervisor_lost', graceMs }).catch(() => {})));
    } catch (err) {
      this.warn(`cannot stop the tasks of the gone server ${server}`, err);
    }
  }

  private warn(message: string, err: unknown): void {
    this.links.onError?.(message, err);
  }
}

/** The fields calls are routed by, whatever the input's shape (a bare token, DAP arguments, a typed input). */
function fields(input: unknown): { token?: string; useExisting?: unknown; projectId?: unknown; source?: unknown; pipe_id?: unknown } {
  if (typeof input === 'string') return { token: input };
  if (input === null || typeof input !== 'object') return {};
  const { token, target, ...rest } = input as { token?: unknown; target?: { token?: unknown } };
  const named = typeof token === 'string' ? token : typeof target?.token === 'string' ? target.token : undefined;
  return { ...rest, ...(named !== undefined ? { token: named } : {}) };
}

const pipeKey = (token: unknown, pipeId: unknown) => `${String(token)}\n${String(pipeId)}`;

export function ownerLost(server: string, token?: string): SidexError {
  const what = token ? `task "${token}"` : 'the task';
  return new SidexError('TASK_OWNER_LOST', `${token ? 'token: ' : ''}the server holding ${what} (${server}) is gone: the task went with it, and its process is stopped`, {
    ...(token ? { token, field: 'token' } : {}),
    server,
  });
}
