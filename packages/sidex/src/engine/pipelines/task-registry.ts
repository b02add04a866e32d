// Which tasks exist: running ones by token (and by execution id, to route what
// their process sends), the most recently ended ones, and, for older ones or
// those of another server on the same store, their execution's record.
import type { ExecutionEngine } from '../execution-engine.js';
import type { ExecutionRecord } from '../../model/record.js';
import { taskNotFound } from './errors.js';
import { isFromHost } from '../../runtime/pipeline-host/protocol.js';
import type { TaskStatus } from './task-state.js';
import type { PipelineTask } from './task/pipeline-task.js';
import { statusFromRecord } from './task/status-from-record.js';

/** How far back the store is searched (pages of 1000) for a token the server does not remember. */
const STORE_SEARCH_PAGES = 10;
/** Tokens of ended tasks remembered (with their execution id) once the tasks leave memory. */
const REMEMBERED_TOKENS = 100_000;

export class TaskRegistry {
  /** Tasks by token: running, and the most recently ended. */
  private readonly tasks = new Map<string, PipelineTask>();
  /** Tasks still starting, by token: their token is taken. */
  private readonly starting = new Map<string, PipelineTask>();
  /** The start of each task still starting: whoever asks for it meanwhile waits for it. */
  private readonly starts = new WeakMap<PipelineTask, Promise<void>>();
  /** Live tasks by execution id. */
  private readonly byExecution = new Map<string, PipelineTask>();
  /** Ended tasks no longer kept in memory: token -> execution id. */
  private readonly endedIds = new Map<string, string>();

  constructor(
    private readonly engine: ExecutionEngine,
    private readonly keepEnded: number,
  ) {
    engine.on('status', (record) => this.onExecutionStatus(record));
    // Which task a message is from is told by the execution that sent it, never by its content.
    engine.on('message', ({ id, value }) => {
      if (isFromHost(value)) this.byExecution.get(id)?.onHostMessage(value);
    });
  }

  /**
   * Output reaches tasks only while one is live: with a listener, the engine
   * decodes every chunk of every execution to text (a 200 MB flood by some
   * other execution would be decoded for nothing).
   */
  private readonly onOutput = ({ id, stream, data }: { id: string; stream: 'stdout' | 'stderr'; data: string }) =>
    this.byExecution.get(id)?.onOutput(stream, data);

  private track(executionId: string, task: PipelineTask): void {
    if (this.byExecution.size === 0) this.engine.on('output', this.onOutput);
    this.byExecution.set(executionId, task);
  }

  private untrack(executionId: string): void {
    if (this.byExecution.delete(executionId) && this.byExecution.size === 0) this.engine.off('output', this.onOutput);
  }

  /** The task of this token in memory, running or ended. */
  get(token: string): PipelineTask | undefined {
    return this.tasks.get(token);
  }

  /** The task of this token if it has not ended. */
  live(token: string): PipelineTask | undefined {
    const task = this.tasks.get(token);
    return task && !task.isEnded ? task : undefined;
  }

  liveTasks(): PipelineTask[] {
    return [...this.tasks.values()].filter((t) => !t.isEnded);
  }

  findLive(projectId: string, source: string): PipelineTask | undefined {
    return this.liveTasks().find((t) => t.projectId === projectId && t.source === source);
  }

  isStarting(token: string): boolean {
    return this.starting.has(token);
  }

  /**
   * The task of this token (or project and source) once it runs: a running
   * one at once, one still starting when its start completes (its failure is
   * thrown); undefined, at once, when there is neither (so that the caller
   * may start one before anyone else looks).
   */
  whenRunning(which: { token: string } | { projectId: string; source: string }): Promise<PipelineTask> | undefined {
    const live = 'token' in which ? this.live(which.token) : this.findLive(which.projectId, which.source);
    if (live) return Promise.resolve(live);
    const starting = 'token' in which ? this.starting.get(which.token) : [...this.starting.values()].find((t) => t.projectId === which.projectId && t.source === which.source);
    return starting && this.starts.get(starting)!.then(() => starting);
  }

  /** Starts a task; its token is taken while it starts, and it is known by it once it runs. */
  async start(task: PipelineTask): Promise<void> {
    this.starting.set(task.token, task);
    const started = task.start();
    this.starts.set(task, started);
    try {
      await started;
    } finally {
      this.starting.delete(task.token);
    }
    this.tasks.set(task.token, task);
    this.endedIds.delete(task.token);
  }

  /** A task has ended: it stays in memory among the last `keepEnded`, then by its execution id. */
  ended(task: PipelineTask): void {
    this.untrack(task.executionId);
    if (this.tasks.get(task.token) !== task) return; // it never started
    const ended = [...this.tasks.values()].filter((t) => t.isEnded || t === task);
    for (const old of ended.slice(0, Math.max(0, ended.length - this.keepEnded))) {
      this.tasks.delete(old.token);
      this.endedIds.set(old.token, old.executionId);
      if (this.endedIds.size > REMEMBERED_TOKENS) this.endedIds.delete(this.endedIds.keys().next().value!);
    }
  }

  /** The status of the task of this token: from memory, else from its record; TASK_NOT_FOUND when none. */
  async status(token: string): Promise<TaskStatus> {
    const task = this.tasks.get(token);
    if (task) return task.status();
    const known = this.endedIds.get(token);
    const record = known ? await this.engine.get(known) : await this.searchStore(token);
    if (!record) throw taskNotFound(token);
    return statusFromRecord(record);
  }

  /** Newest first: a token reused by restart names its latest task. */
  private async searchStore(token: string): Promise<ExecutionRecord | undefined> {
    let cursor: string | undefined;
    for (let page = 0; page < STORE_SEARCH_PAGES; page++) {
      const found = await this.engine.list({ idPrefix: 'task', limit: 1000, ...(cursor ? { cursor } : {}) });
      const record = found.items.find((r) => r.meta.pipelineToken === token);
      if (record) return record;
      if (!found.nextCursor) return undefined;
      cursor = found.nextCursor;
    }
    return undefined;
  }

  /** A task's execution is known from its first status (queued), before any message can come from it. */
  private onExecutionStatus(record: ExecutionRecord): void {
    const token = record.meta.pipelineToken;
    const starting = typeof token === 'string' ? this.starting.get(token) : undefined;
    if (record.status === 'queued') starting?.bind(record.id);
    const task = this.byExecution.get(record.id) ?? starting;
    if (!task || task.executionId !== record.id) return;
    this.track(record.id, task);
    task.onExecutionStatus(record);
  }
}
