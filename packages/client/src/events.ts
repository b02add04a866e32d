import type { Connection } from './connection.js';
import type { DroppedNotice, ExecutionEvent } from '@sidex/protocol';

export type EventName = ExecutionEvent['event'] | 'dropped';
export type EventOf<E extends EventName> = E extends 'dropped' ? DroppedNotice : Extract<ExecutionEvent, { event: E }>;

interface Listener {
  event: EventName;
  id: string | undefined;
  fn: (event: any) => void;
}

const ALL = '*';

/**
 * Local listeners over server subscriptions: the first listener of an
 * execution (or of all) subscribes, the last one unsubscribes, and every
 * reconnection subscribes again. A listener keeps the process alive until it
 * is removed (or the client closed), as a listener on a socket would: a
 * script that only listens must not exit before it hears anything.
 */
export class EventRouter {
  private readonly listeners = new Set<Listener>();
  private readonly counts = new Map<string, number>();
  private readonly acks = new Map<string, Promise<unknown>>();

  constructor(private readonly connection: Connection) {
    connection.onOpen(() => {
      for (const key of this.counts.keys()) this.acks.set(key, this.subscribe(key));
    });
  }

  add<E extends EventName>(event: E, fn: (event: EventOf<E>) => void, id?: string): () => void {
    const listener: Listener = { event, id, fn };
    this.listeners.add(listener);
    const key = id ?? ALL;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count === 1) this.acks.set(key, this.subscribe(key));
    const release = this.connection.hold();
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      release();
      this.listeners.delete(listener);
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) {
        this.counts.set(key, left);
        return;
      }
      this.counts.delete(key);
      this.acks.delete(key);
      this.connection
        .request({ type: 'sideExecution', action: 'unsubscribe', ...(key === ALL ? {} : { sideExecutionId: key }) })
        .catch(() => {});
    };
  }

  /** Resolves once the server has confirmed the subscription of `id` (or all). */
  ready(id?: string): Promise<unknown> {
    return this.acks.get(id ?? ALL) ?? Promise.resolve();
  }

  dispatch(message: Record<string, unknown>): void {
    const id = typeof message.sideExecutionId === 'string' ? message.sideExecutionId : undefined;
    for (const listener of this.listeners) {
      if (listener.event !== message.event) continue;
      // A drop notice names no execution: what was dropped may be any listener's.
      if (listener.id !== undefined && listener.id !== id && message.event !== 'dropped') continue;
      try {
        listener.fn(message);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  private subscribe(key: string): Promise<unknown> {
    return this.connection
      .request({ type: 'sideExecution', action: 'subscribe', ...(key === ALL ? {} : { sideExecutionId: key }) })
      .catch((err: unknown) => err);
  }
}
