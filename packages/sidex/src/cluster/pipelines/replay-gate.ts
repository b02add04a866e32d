// A new monitor's first events, in order, when the current state comes from
// another server: the events heard while it was fetched were sent before that
// server read the state (they travel the same connection as its reply), so
// they go first, then the state, then whatever comes next.
import type { PipelineEvent } from '../../engine/pipelines/events.js';
import type { PipelineListener } from '../../services/pipeline/monitors.js';

export class ReplayGate {
  private held: PipelineEvent[] | undefined = [];
  /** Why the current state could not be had: the monitor is then refused. */
  failed: unknown;
  readonly listener: PipelineListener = (event) => (this.held ? this.held.push(event) : this.target(event));

  constructor(private readonly target: PipelineListener) {}

  open(current: readonly PipelineEvent[]): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of [...held, ...current]) {
      try {
        this.target(event);
      } catch {
        // as in Monitors.dispatch
      }
    }
  }
}

/** The current events of every server for a monitor of every task: one `running` event listing all their tasks, then the rest. */
export function mergeCurrent(lists: readonly PipelineEvent[][]): PipelineEvent[] {
  const isRunning = (e: PipelineEvent) => e.event === 'apaevt_task' && e.body.action === 'running';
  const running = lists.flat().filter(isRunning);
  const rest = lists.flat().filter((e) => !isRunning(e));
  if (running.length === 0) return rest;
  const tasks = running.flatMap((e) => (Array.isArray(e.body.tasks) ? e.body.tasks : []));
  return [{ ...running[0]!, body: { ...running[0]!.body, tasks } }, ...rest];
}
