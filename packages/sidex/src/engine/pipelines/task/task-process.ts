// The execution a task runs in: one child process whose entry is the task
// host. Calls on it never throw once it has gone: its end reaches the task
// once, through onEnd, and nothing else needs to care.
import type { ExecutionEngine } from '../../execution-engine.js';
import { deferred } from '../../../model/deferred.js';
import type { ExecutionRecord } from '../../../model/record.js';
import type { HostParams, ToHost } from '../../../runtime/pipeline-host/protocol.js';
import type { TaskStatus } from '../task-state.js';
import type { TaskSettings } from './settings.js';

export class TaskProcess {
  executionId = '';
  /** Resolves once the execution has ended, after onEnd. */
  readonly ended = deferred<void>();

  constructor(
    private readonly engine: ExecutionEngine,
    private readonly onEnd: (record: ExecutionRecord | undefined) => void,
  ) {}

  async start(settings: TaskSettings): Promise<ExecutionRecord> {
    const { pipeline } = settings;
    const params: HostParams = { token: settings.token, pipeline, args: settings.args };
    const record = await this.engine.start({
      prefix: 'task',
      kind: 'block',
      name: pipeline.name,
      entry: settings.hostEntry,
      // Its working directory is the runtime's own scratch directory, gone with it.
      inScratch: true,
      params,
      graceMs: settings.graceMs,
      env: settings.env,
      meta: { pipelineToken: settings.token, projectId: pipeline.projectId, source: pipeline.source, threads: settings.threads },
    });
    this.bind(record.id);
    return record;
  }

  /** The execution is known: its end, whatever causes it, ends the task. Idempotent. */
  bind(executionId: string): void {
    if (this.executionId) return;
    this.executionId = executionId;
    const end = (record: ExecutionRecord | undefined) => {
      this.onEnd(record);
      this.ended.resolve();
    };
    void this.engine.wait(executionId).then(end, () => end(undefined));
  }

  /** Answers false when the process is gone. */
  send(message: ToHost): boolean {
    try {
      this.engine.sendMessage(this.executionId, message);
      return true;
    } catch {
      return false;
    }
  }

  /** Kept with the execution's record, so the status outlives the task in memory. */
  setProgress(status: TaskStatus): void {
    try {
      this.engine.setProgress(this.executionId, status);
    } catch {
      // the execution has just ended; its final status is set by then
    }
  }

  stop(options: Parameters<ExecutionEngine['stop']>[1]): Promise<void> {
    return this.engine.stop(this.executionId, options).then(
      () => {},
      () => {},
    );
  }

  /** Asks the host to return, so that the execution completes rather than being stopped; stops it after graceMs. */
  async endGently(graceMs: number): Promise<void> {
    if (!this.send({ t: 'end' })) return;
    const timer = setTimeout(() => void this.stop({ graceMs }), graceMs);
    await this.ended.promise;
    clearTimeout(timer);
  }
}
