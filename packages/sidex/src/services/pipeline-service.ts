// Pipelines and their tasks, dialect-free like the other services: each method
// is one DAP command, taking that command's arguments as the dialect's edge
// parsed them (services/pipeline/inputs.ts) and answering its reply body; a
// failure throws a SidexError (code, message naming the field, details).
//
//   execute -> use               terminate -> terminate        restart -> restart
//   rrext_get_task_status -> getTaskStatus                     rrext_get_tasks -> getTasks
//   rrext_process open/write/close -> process (or open/write/close)
//   rrext_monitor -> monitor     rrext_validate -> validate
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskSummary, UseResult } from '@sidex/protocol';
import type { ActionBlockCatalog } from '../catalog/action-blocks/action-block-catalog.js';
import type { ExecutionEngine } from '../engine/execution-engine.js';
import { SidexError } from '../errors.js';
import { typesOfBitmask, typesOfNames, type MonitorType, type PipelineEvent, type PipelineEventName } from '../engine/pipelines/events.js';
import { TaskState, type TaskStatus } from '../engine/pipelines/task-state.js';
import type { ItemResult } from '../runtime/pipeline-host/pipeline.js';
import { Monitors, targetKey, type MonitorTarget, type PipelineListener } from './pipeline/monitors.js';
import type {
  MonitorInput,
  OpenInput,
  PipeRef,
  ProcessInput,
  ProjectRef,
  RestartInput,
  ServicesInput,
  TaskRef,
  TerminateInput,
  UseInput,
  ValidateInput,
  WriteInput,
} from './pipeline/inputs.js';
import { PipelineTask } from '../engine/pipelines/task/pipeline-task.js';
import type { TaskSettings } from '../engine/pipelines/task/settings.js';
import type { ItemCountState } from '../engine/pipelines/task/counters.js';
import { TaskRegistry } from '../engine/pipelines/task-registry.js';
import { alreadyTerminated } from '../engine/pipelines/errors.js';
import { newPublicToken, newTaskToken } from './pipeline/tokens.js';
import { unwrapPipeline } from './pipeline/pipeline-file.js';
import { validatePipeline, type ValidationReport } from './pipeline/validate.js';
import { FileStore } from './pipeline/file-store.js';
import { serviceDefinitions } from './pipeline/service-definitions.js';

export interface PipelineLimits {
  defaultThreads: number;
  maxThreads: number;
  /** Idle seconds before a task ends by itself, when use() gives no ttl; 0 never. */
  defaultTtlSec: number;
  /** How long terminate lets items in progress finish, when neither use() nor terminate() says. */
  defaultDrainMs: number;
  /** Grace of the stop protocol that ends a task's process. */
  graceMs: number;
  maxItemBytes: number;
  maxPipelineBytes: number;
  startTimeoutMs: number;
  statusIntervalMs: number;
  /** Ended tasks kept in memory; older ones are read from the store. */
  keepEnded: number;
}

export const DEFAULT_PIPELINE_LIMITS: PipelineLimits = {
  defaultThreads: 1,
  maxThreads: 256,
  defaultTtlSec: 3600,
  defaultDrainMs: 30_000,
  graceMs: 2000,
  maxItemBytes: 16 * 1024 * 1024,
  maxPipelineBytes: 4 * 1024 * 1024,
  startTimeoutMs: 30_000,
  statusIntervalMs: 1000,
  keepEnded: 1000,
};

export const TASK_HOST_ENTRY = fileURLToPath(new URL('../runtime/pipeline-host/task-host.js', import.meta.url));

export interface PipelineServiceOptions {
  limits?: Partial<PipelineLimits>;
  storeDir?: string;
}

export class PipelineService {
  private readonly registry: TaskRegistry;
  private readonly monitors = new Monitors();
  /** The pipeline as use() got it, unresolved: restart runs it again. */
  private readonly rawPipeline = new WeakMap<PipelineTask, unknown>();
  private readonly limits: PipelineLimits;
  private closing = false;
  /** Every item count of every task as it moves: what /metrics totals. */
  readonly itemCounts = new EventEmitter<{ counted: [ItemCountState, number] }>();
  /** RocketRide's account file store (`rrext_store`). */
  readonly files: FileStore;

  constructor(
    private readonly engine: ExecutionEngine,
    private readonly blocks: ActionBlockCatalog,
    options: PipelineServiceOptions = {},
  ) {
    this.limits = { ...DEFAULT_PIPELINE_LIMITS, ...options.limits };
    this.files = new FileStore(path.resolve(options.storeDir ?? path.join(process.cwd(), '.sidex', 'store')));
    this.registry = new TaskRegistry(engine, this.limits.keepEnded);
  }

  // ---- execute / restart / terminate -------------------------------------------

  /** `execute`: validates the pipeline, starts its task and answers once it runs. */
  async use(input: UseInput): Promise<UseResult> {
    if (this.closing) throw new SidexError('SHUTTING_DOWN', 'the server is shutting down and starts no new task');
    const report = this.check(input.pipeline, input.source);
    const threads = input.threads ?? this.limits.defaultThreads;
    if (threads > this.limits.maxThreads) {
      throw new SidexError('INVALID_THREADS', `threads: must be at most ${this.limits.maxThreads}`, { field: 'threads' });
    }
    const pipeline = report.pipeline!;
    if (input.name) pipeline.name = input.name;
    if (input.useExisting) {
      // One still starting is waited for: concurrent use() of one token all get the same task.
      const pending = this.registry.whenRunning(input.token ? { token: input.token } : { projectId: pipeline.projectId, source: pipeline.source });
      const existing = pending && (await pending);
      if (existing && !existing.isEnded) return this.useReply(existing);
    }
    const existing = input.token ? this.registry.live(input.token) : undefined;
    if (existing) {
      throw new SidexError('TASK_EXISTS', `token: a task with token "${existing.token}" is already running (pass useExisting to use it)`, { field: 'token', token: existing.token });
    }
    if (input.token && this.registry.isStarting(input.token)) {
      throw new SidexError('TASK_EXISTS', `token: a task with token "${input.token}" is starting (pass useExisting to wait for it and use it)`, { field: 'token', token: input.token });
    }
    const token = input.token ?? newTaskToken();
    const env = Object.fromEntries(Object.entries(input.env ?? {}).filter(([k]) => k.startsWith('ROCKETRIDE_')));
    const settings: TaskSettings = {
      token,
      publicToken: newPublicToken(),
      pipeline,
      warnings: report.warnings.map((w) => w.message),
      args: input.args ?? [],
      threads,
      ttlSec: input.ttl ?? this.limits.defaultTtlSec,
      drainMs: input.drainMs ?? this.limits.defaultDrainMs,
      graceMs: this.limits.graceMs,
      maxItemBytes: this.limits.maxItemBytes,
      startTimeoutMs: this.limits.startTimeoutMs,
      statusIntervalMs: this.limits.statusIntervalMs,
      env,
      hostEntry: TASK_HOST_ENTRY,
    };
    const task = new PipelineTask(
      {
        engine: this.engine,
        emit: (event) => this.dispatch(event),
        wants: (event) => this.wantsEvent(event),
        ended: (t) => this.registry.ended(t),
        counted: (state, n) => this.itemCounts.emit('counted', state, n),
      },
      settings,
    );
    this.rawPipeline.set(task, input.pipeline);
    await this.registry.start(task);
    return this.useReply(task);
  }

  /**
   * `terminate`: from now on the task accepts no item; those in progress get
   * until the drain deadline; answers `{}` once the task has ended (CANCELLED,
   * 'Stopped'). A terminate while the task is still ending joins that end (one
   * outcome); once it has ended there is nothing left to terminate:
   * TASK_TERMINATED, as RocketRide's "already terminated" error.
   */
  async terminate(input: TerminateInput): Promise<Record<string, never>> {
    const task = this.registry.live(input.token);
    if (task) {
      await task.terminate({
        ...(input.drainMs !== undefined ? { drainMs: input.drainMs } : {}),
        ...(input.force ? { force: true } : {}),
      });
      return {};
    }
    throw alreadyTerminated(input.token, await this.registry.status(input.token));
  }

  /**
   * `restart`: the running task (by token, or by projectId and source) is
   * terminated and a new one started under the same token, with the given
   * pipeline or the one it ran. An invalid pipeline changes nothing.
   */
  async restart(input: RestartInput): Promise<UseResult> {
    if (!input.token && input.source === undefined) {
      throw new SidexError('INVALID_TOKEN', 'token: give the token of the task to restart, or its projectId and source', { field: 'token' });
    }
    const task = input.token ? this.registry.live(input.token) : this.registry.findLive(input.projectId ?? '', input.source ?? '');
    if (!task) {
      const which = input.token ? `token "${input.token}"` : `project "${input.projectId ?? ''}" and source "${input.source ?? ''}"`;
      throw new SidexError('TASK_NOT_FOUND', `no running task with ${which}`, { ...(input.token ? { token: input.token } : {}) });
    }
    const pipeline = input.pipeline ?? this.rawPipeline.get(task);
    this.check(pipeline, input.source);
    await task.terminate();
    const reply = await this.use({
      pipeline,
      token: task.token,
      threads: task.settings.threads,
      ttl: task.settings.ttlSec,
      drainMs: task.settings.drainMs,
      args: task.settings.args,
      env: task.settings.env,
      ...(input.source ? { source: input.source } : {}),
    });
    this.dispatch({ token: reply.token, id: reply.id, projectId: reply.projectId, source: reply.source, event: 'apaevt_task', body: { action: 'restart', name: reply.name, projectId: reply.projectId, source: reply.source, token: reply.token } });
    return reply;
  }

  // ---- status ------------------------------------------------------------------------

  /** `rrext_get_task_status`: live, or after the end from memory or the store. */
  async getTaskStatus({ token }: TaskRef): Promise<TaskStatus> {
    return this.registry.status(token);
  }

  /** `rrext_get_pipeline`: the pipeline of a running task as use() got it (nothing substituted). */
  async getPipeline({ token }: TaskRef): Promise<{ pipeline: unknown }> {
    const task = this.registry.live(token);
    if (!task) throw new SidexError('TASK_NOT_FOUND', `no running task with token "${token}"`, { token });
    return { pipeline: this.rawPipeline.get(task) };
  }

  /** `rrext_get_token`: the token of the task running a project's source. */
  async getToken({ projectId, source }: ProjectRef): Promise<{ token: string }> {
    const task = this.registry.findLive(projectId, source);
    if (!task) throw new SidexError('TASK_NOT_FOUND', `no running task for project "${projectId}" and source "${source}"`, { projectId, source });
    return { token: task.token };
  }

  /** `rrext_services`: every provider in RocketRide's service-definition shape, or the one named. */
  services({ service }: ServicesInput = {}): object {
    return serviceDefinitions(service);
  }

  /** `rrext_get_tasks`: the tasks that have not ended. */
  async getTasks(): Promise<{ tasks: TaskSummary[] }> {
    const tasks = this.registry.liveTasks().map((t) => {
        const s = t.status();
        return { id: s.id, token: s.token, name: s.name, projectId: s.project_id, source: s.source, state: s.state, status: s.status, startTime: s.startTime };
      });
    return { tasks };
  }

  /** The live tasks with their status and graph of components, for the dashboard (`GET /v1/tasks`). */
  async describeTasks(): Promise<{ tasks: Array<{ status: TaskStatus; components: Array<{ id: string; provider: string; from: string[] }> }> }> {
    const tasks = this.registry.liveTasks().map((t) => ({
      status: t.status(),
      components: t.settings.pipeline.components.map((c) => ({ id: c.id, provider: c.provider, from: [...new Set(c.input.map((i) => i.from))] })),
    }));
    return { tasks };
  }

  /**
   * `rrext_validate`: RocketRide's `{valid, errors, warnings, pipeline}`: the
   * pipeline as it would run (unwrapped, with the source it resolved and
   * `version` 1 unless it has one), and the source.
   */
  validate(input: ValidateInput): Omit<ValidationReport, 'pipeline'> & { pipeline: Record<string, unknown> } {
    this.checkSize(input.pipeline);
    const { pipeline: _resolved, ...report } = this.report(input.pipeline, input.source);
    const raw = unwrapPipeline(input.pipeline);
    const file = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    return { ...report, pipeline: { ...file, version: file.version ?? 1, ...(report.source ? { source: report.source } : {}) } };
  }

  // ---- items -------------------------------------------------------------------------

  /** `rrext_process`: open, write, close or abandon, by `subcommand`. */
  async process(input: ProcessInput): Promise<{ pipe_id: number } | Record<string, never> | ItemResult> {
    if (input.subcommand === 'abandon') return this.abandon(input);
    if (input.subcommand === 'open') return this.open(input);
    if (input.subcommand === 'write') return this.write(input);
    return this.close(input);
  }

  /** Takes one of the task's `threads` (waiting for one if need be); refused once it terminates. */
  async open(input: OpenInput): Promise<{ pipe_id: number }> {
    const task = await this.taskFor(input.token);
    return { pipe_id: await task.open(input.object ?? {}, input.mimeType ?? 'text/plain') };
  }

  async write(input: WriteInput): Promise<Record<string, never>> {
    const task = await this.taskFor(input.token);
    task.write(input.pipe_id, typeof input.data === 'string' ? Buffer.from(input.data, 'utf8') : Buffer.from(input.data.buffer, input.data.byteOffset, input.data.byteLength));
    return {};
  }

  /** Answers the item's result once it has gone through the pipeline. */
  async close(input: PipeRef): Promise<ItemResult> {
    const task = await this.taskFor(input.token);
    return task.close(input.pipe_id);
  }

  /**
   * Gives up an open pipe: its item is cancelled and its slot freed. For a
   * transport whose client went away with pipes open, and rrext_process 'abandon'.
   */
  async abandon(input: PipeRef): Promise<Record<string, never>> {
    (await this.taskFor(input.token)).abandon(input.pipe_id, 'the client went away before closing it');
    return {};
  }

  /** The client's `send`: one item, as open, write and close. */
  async send(token: string, data: Uint8Array | string, object: Record<string, unknown> = {}, mimeType?: string): Promise<ItemResult> {
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (size > this.limits.maxItemBytes) {
      throw new SidexError('ITEM_TOO_LARGE', `data: ${size} bytes exceeds the limit of ${this.limits.maxItemBytes} bytes`, { field: 'data', limit: this.limits.maxItemBytes });
    }
    const { pipe_id } = await this.open({ token, object, ...(mimeType ? { mimeType } : {}) });
    try {
      await this.write({ token, pipe_id, data });
    } catch (err) {
      // An item left open would hold one of the task's threads.
      await this.abandon({ token, pipe_id }).catch(() => {});
      throw err;
    }
    return this.close({ token, pipe_id });
  }

  // ---- events ------------------------------------------------------------------------

  /**
   * `rrext_monitor`: events of the given types of one task (by token, or by
   * projectId and source, whatever task runs them), or of every task ('*');
   * the current state is delivered at once. Answers the unsubscribe function,
   * with the monitor's key (one per target, as RocketRide keys them) and
   * whether it is empty (no type sidex has events for: an unsubscribe).
   */
  async monitor({ target, types }: MonitorInput, listener: PipelineListener): Promise<(() => void) & { key: string; empty: boolean }> {
    if ('token' in target && target.token !== '*') await this.registry.status(target.token); // throws when unknown
    const unsubscribe = this.monitors.add(target, types, listener);
    await this.replay(target, types, listener);
    return Object.assign(unsubscribe, { key: targetKey(target), empty: types.length === 0 });
  }

  /** Delivers the current state of what a new monitor watches (a cluster server asks the servers holding the tasks). */
  protected async replay(target: MonitorTarget, types: readonly MonitorType[], listener: PipelineListener): Promise<void> {
    for (const event of this.currentEvents(target, types)) {
      try {
        listener(event);
      } catch {
        // as in Monitors.dispatch
      }
    }
  }

  /** The events that tell a new monitor the current state of the tasks of this server it watches. */
  protected currentEvents(target: MonitorTarget, types: readonly MonitorType[]): PipelineEvent[] {
    const wanted = (...these: MonitorType[]) => these.some((t) => types.includes(t));
    const tasks =
      'token' in target
        ? target.token === '*'
          ? this.registry.liveTasks()
          : [this.registry.get(target.token)].filter((t): t is PipelineTask => !!t)
        : [this.registry.findLive(target.projectId, target.source)].filter((t): t is PipelineTask => !!t);
    const events: PipelineEvent[] = [];
    const deliver = (event: PipelineEvent) => events.push(event);
    const token = 'token' in target ? target.token : (tasks[0]?.token ?? '');
    if (wanted('TASK', 'ALL')) {
      const running = tasks.filter((t) => !t.isEnded).map((t) => ({ id: t.executionId, name: t.settings.pipeline.name, token: t.token, projectId: t.projectId, source: t.source }));
      deliver({ token, event: 'apaevt_task', body: { action: 'running', tasks: running } });
    }
    if (wanted('SUMMARY', 'DETAIL', 'ALL')) {
      for (const t of tasks) deliver({ token: t.token, id: t.executionId, event: 'apaevt_status_update', body: t.status() as unknown as Record<string, unknown> });
      // A project whose source no task runs yet: RocketRide says so with an empty status.
      if (!('token' in target) && tasks.length === 0) {
        deliver({ token: '', id: `${target.projectId}.${target.source}`, event: 'apaevt_status_update', body: { name: '', project_id: target.projectId, source: target.source, state: TaskState.NONE, status: 'Not running', completed: false } });
      }
    }
    return events;
  }

  /** Hands a task's event to the monitors that watch it (a cluster server also tells the other servers). */
  protected dispatch(event: PipelineEvent): void {
    this.monitors.dispatch(event);
  }

  /** Whether a monitor wants events of this name: a task builds none for nobody. */
  protected wantsEvent(event: PipelineEventName): boolean {
    return this.monitors.wants(event);
  }

  // ---- shutdown ------------------------------------------------------------------------

  /**
   * Every running task is terminated (drained within `drainMs`) before the
   * engine closes; tasks still starting are ended by the engine's own shutdown.
   */
  async shutdown(options: { drainMs?: number } = {}): Promise<void> {
    this.closing = true;
    const drainMs = options.drainMs ?? this.limits.graceMs;
    await Promise.all(this.registry.liveTasks().map((t) => t.shutdown(drainMs)));
  }

  // ---- internals ---------------------------------------------------------------------

  private check(pipeline: unknown, source: string | undefined): ValidationReport {
    this.checkSize(pipeline);
    const report = this.report(pipeline, source);
    const unknown = report.errors.filter((e) => e.code === 'UNKNOWN_PROVIDER');
    if (unknown.length > 0) {
      // A pipeline written for RocketRide with components sidex lacks: say exactly which, and nothing else.
      const providers = [...new Set(unknown.map((e) => e.provider!))];
      const which = unknown.map((e) => `"${e.component}" (${e.provider})`).join(', ');
      throw new SidexError('UNSUPPORTED_COMPONENTS', `pipeline: sidex does not provide ${providers.join(', ')}, used by the component${unknown.length === 1 ? '' : 's'} ${which}`, {
        field: 'pipeline',
        providers,
        components: unknown.map((e) => e.component),
        errors: report.errors,
      });
    }
    if (!report.valid) {
      const list = report.errors.map((e) => e.message).join('; ');
      throw new SidexError('INVALID_PIPELINE', `pipeline: ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}: ${list}`, {
        field: 'pipeline',
        errors: report.errors,
        warnings: report.warnings,
      });
    }
    return report;
  }

  private checkSize(pipeline: unknown): void {
    let json: string | undefined;
    try {
      json = JSON.stringify(pipeline);
    } catch (err) {
      throw new SidexError('INVALID_PIPELINE', `pipeline: not JSON-serializable: ${(err as Error).message}`, { field: 'pipeline' });
    }
    if (json !== undefined && Buffer.byteLength(json) > this.limits.maxPipelineBytes) {
      throw new SidexError('INVALID_PIPELINE', `pipeline: ${Buffer.byteLength(json)} bytes exceeds the limit of ${this.limits.maxPipelineBytes} bytes`, { field: 'pipeline' });
    }
  }

  private report(pipeline: unknown, source: string | undefined): ValidationReport {
    return validatePipeline(pipeline, {
      ...(source !== undefined ? { source } : {}),
      resolveBlock: ({ name, path: blockPath }) => {
        const block = name !== undefined ? this.blocks.resolveName(name) : this.blocks.resolvePath(blockPath ?? '');
        return path.resolve(block.path, block.entryPoint);
      },
    });
  }

  private useReply(task: PipelineTask): UseResult {
    return {
      id: task.executionId,
      token: task.token,
      publicToken: task.settings.publicToken,
      projectId: task.projectId,
      source: task.source,
      name: task.settings.pipeline.name,
    };
  }

  /** The task an item call names: a task that has ended refuses it itself. */
  private async taskFor(token: string): Promise<PipelineTask> {
    const task = this.registry.get(token);
    if (task) return task;
    const status = await this.registry.status(token);
    throw new SidexError('TASK_NOT_RUNNING', `task "${token}" has ended (${status.status}): it accepts no items`, { token, state: status.state });
  }
}
