// rrext_monitor subscriptions: a listener, a task token (or '*' for every
// task) and the event types it asked for.
import { TYPES_OF_EVENT, type MonitorType, type PipelineEvent, type PipelineEventName } from '../../engine/pipelines/events.js';

export type PipelineListener = (event: PipelineEvent) => void;

interface Subscription {
  token: string;
  types: ReadonlySet<MonitorType>;
  listener: PipelineListener;
}

const receives = (sub: Subscription, event: PipelineEventName) => TYPES_OF_EVENT[event].some((t) => sub.types.has(t));

export class Monitors {
  private readonly subscriptions = new Set<Subscription>();

  add(token: string, types: readonly MonitorType[], listener: PipelineListener): () => void {
    const sub: Subscription = { token, types: new Set(types), listener };
    this.subscriptions.add(sub);
    return () => this.subscriptions.delete(sub);
  }

  wants(event: PipelineEventName): boolean {
    for (const sub of this.subscriptions) if (receives(sub, event)) return true;
    return false;
  }

  dispatch(event: PipelineEvent): void {
    for (const sub of this.subscriptions) {
      if ((sub.token === '*' || sub.token === event.token) && receives(sub, event.event)) {
        try {
          sub.listener(event);
        } catch {
          // a listener's failure is its own; the task and other listeners go on
        }
      }
    }
  }
}
