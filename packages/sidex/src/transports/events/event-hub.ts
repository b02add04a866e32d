import type { ExecutionEvent } from '@sidex/protocol';
import type { SideExecutionService } from '../../services/side-execution-service.js';
import { outputEvent, statusEvent } from './execution-events.js';

/** Someone who receives live events; it decides what it wants and how it buffers. */
export interface EventSink {
  wants(sideExecutionId: string): boolean;
  deliver(event: ExecutionEvent): void;
}

/**
 * Listens to the service once and fans events out to every sink. It listens
 * only while there are sinks: without listeners the engine does not even
 * decode output for events.
 */
export class EventHub {
  private readonly sinks = new Set<EventSink>();
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly service: SideExecutionService) {}

  add(sink: EventSink): void {
    this.sinks.add(sink);
    if (this.unsubscribe.length === 0) this.listen();
  }

  delete(sink: EventSink): void {
    this.sinks.delete(sink);
    if (this.sinks.size === 0) this.stopListening();
  }

  close(): void {
    this.sinks.clear();
    this.stopListening();
  }

  private listen(): void {
    this.unsubscribe = [
      this.service.on('status', (r) => this.publish(statusEvent(r))),
      this.service.on('output', (e) => this.publish(outputEvent(e))),
      this.service.on('checkpoint', (e) => this.publish({ event: 'checkpoint', sideExecutionId: e.id, value: e.value, time: Date.now() })),
      this.service.on('progress', (e) => this.publish({ event: 'progress', sideExecutionId: e.id, value: e.value, time: Date.now() })),
    ];
  }

  private stopListening(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }

  private publish(event: ExecutionEvent): void {
    for (const sink of this.sinks) {
      if (sink.wants(event.sideExecutionId)) sink.deliver(event);
    }
  }
}
