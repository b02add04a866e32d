// The events of one task (docs/rocketride.md). Each is built only when
// someone listens: a busy task would otherwise build thousands a second for nobody.
import type { PipelineEventName } from '../events.js';
import type { TaskStatus } from '../task-state.js';
import type { Pipe } from './items.js';
import type { TaskDeps, TaskSettings } from './settings.js';

export class TaskEvents {
  constructor(
    private readonly deps: Pick<TaskDeps, 'emit' | 'wants'>,
    private readonly settings: TaskSettings,
    /** The task's id (its execution's), known once it has started. */
    private readonly taskId: () => string,
  ) {}

  status(status: TaskStatus): void {
    if (this.deps.wants('apaevt_status_update')) this.emit('apaevt_status_update', status as unknown as Record<string, unknown>);
  }

  task(action: 'begin' | 'end'): void {
    if (!this.deps.wants('apaevt_task')) return;
    const { name, projectId, source } = this.settings.pipeline;
    this.emit('apaevt_task', { action, name, projectId, source, token: this.settings.token });
  }

  output(stream: string, data: string): void {
    if (this.deps.wants('output')) this.emit('output', { category: stream, output: data });
  }

  /** A component's real-time message for an item's client, as RocketRide's `{pipe_id, type, data}`. */
  sse(pipeId: number, type: string, data: Record<string, unknown>): void {
    if (this.deps.wants('apaevt_sse')) this.emit('apaevt_sse', { pipe_id: pipeId, type, data });
  }

  /** RocketRide's flow event: `pipes` are the components the item is in, outermost first. */
  flow(pipe: Pipe, op: 'begin' | 'enter' | 'leave' | 'end', trace: Record<string, unknown> = {}, pipes: string[] = []): void {
    if (!this.deps.wants('apaevt_flow')) return;
    const { result, ...rest } = trace;
    this.emit('apaevt_flow', {
      id: pipe.id,
      op,
      pipes,
      trace: rest,
      ...(result ? { result } : {}),
      project_id: this.settings.pipeline.projectId,
      source: this.settings.pipeline.source,
    });
  }

  private emit(event: PipelineEventName, body: Record<string, unknown>): void {
    const { projectId, source } = this.settings.pipeline;
    this.deps.emit({ token: this.settings.token, id: this.taskId(), projectId, source, event, body });
  }
}
