// rrext_monitor subscriptions: a listener, what it watches (one task by its
// token, every task '*', or a project's source whatever task runs it) and the
// event types it asked for.
import { TYPES_OF_EVENT, type MonitorType, type PipelineEvent, type PipelineEventName } from '../../engine/pipelines/events.js';

export type PipelineListener = (event: PipelineEvent) => void;

/** What a monitor watches. */
export type MonitorTarget = { token: string } | { projectId: string; source: string };

/** One key per target, as RocketRide keys them (`p.<projectId>.<source>` for a project). */
export const targetKey = (target: MonitorTarget): string => ('token' in target ? target.token : `p.${target.projectId}.${target.source}`);

interface Subscription {
  target: MonitorTarget;
  types: ReadonlySet<MonitorType>;
  listener: PipelineListener;
}

const receives = (sub: Subscription, event: PipelineEventName) => TYPES_OF_EVENT[event].some((t) => sub.types.has(t));

function watches(target: MonitorTarget, event: PipelineEvent): boolean {
  if ('token' in target) return target.token === '*' || target.token === event.token;
  return target.projectId === event.projectId && target.source === event.source;
}

export class Monitors {
  private readonly subscriptions = new Set<Subscription>();

  add(target: MonitorTarget, types: readonly MonitorType[], listener: PipelineListener): () => void {
    const sub: Subscription = { target, types: new Set(types), listener };
    this.subscriptions.add(sub);
    return () => this.subscriptions.delete(sub);
  }

  wants(event: PipelineEventName): boolean {
    for (const sub of this.subscriptions) if (receives(sub, event)) return true;
    return false;
  }

  dispatch(event: PipelineEvent): void {
    for (const sub of this.subscriptions) {
      if (watches(sub.target, event) && receives(sub, event.event)) {
        try {
          sub.listener(event);
        } catch {
          // a listener's failure is its own; the task and other listeners go on
        }
      }
    }
  }
}
