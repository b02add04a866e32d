// What the server-side task supervisor and the task host in the child say to
// each other, over the execution's message channel (engine.sendMessage /
// ctx.send). Results are matched to items by id; which task a message belongs
// to is known from the execution that sent it, never from its content.
import type { ItemContent } from './item-content.js';
import type { ItemResult, ResolvedPipeline } from './pipeline.js';

/** The params of a task's execution. */
export interface HostParams {
  token: string;
  pipeline: ResolvedPipeline;
  args: string[];
}

/** One item, its content as the source needs it (item-content.ts). */
export interface HostItem extends ItemContent {
  id: number;
  name: string;
  objectId: string;
  mimeType: string;
  size: number;
}

export type ToHost = { t: 'items'; items: HostItem[] } | { t: 'end' };

export interface ItemFailure {
  message: string;
  /** The component that threw. */
  component?: string;
}

export type ItemOutcome = { id: number; ok: true; result: ItemResult } | { id: number; ok: false; error: ItemFailure };

/** An item entering or leaving a component (RocketRide's flow trace). */
export interface FlowTrace {
  id: number;
  op: 'enter' | 'leave';
  component: string;
  lane: string;
}

/** A component's real-time message for the client of an item (RocketRide's SSE): `{pipe_id, type, data}`. */
export interface SseMessage {
  id: number;
  type: string;
  data: Record<string, unknown>;
}

export type FromHost = { t: 'ready' } | { t: 'done'; outcomes: ItemOutcome[] } | { t: 'trace'; traces: FlowTrace[] } | { t: 'sse'; messages: SseMessage[] };

/**
 * Whether a value the task's process sent is a host message. Code in the task
 * can write to its IPC channel too: what is not well formed is ignored rather
 * than trusted.
 */
export function isFromHost(value: unknown): value is FromHost {
  if (value === null || typeof value !== 'object') return false;
  const message = value as { t?: unknown; outcomes?: unknown; traces?: unknown };
  if (message.t === 'ready') return true;
  if (message.t === 'sse') {
    const messages = (value as { messages?: unknown }).messages;
    return Array.isArray(messages) && messages.every((m: unknown) => m !== null && typeof m === 'object' && typeof (m as SseMessage).id === 'number' && typeof (m as SseMessage).type === 'string' && typeof (m as SseMessage).data === 'object' && (m as SseMessage).data !== null);
  }
  if (message.t === 'trace') {
    return (
      Array.isArray(message.traces) &&
      message.traces.every((t: unknown) => {
        const trace = t as FlowTrace;
        return trace !== null && typeof trace === 'object' && typeof trace.id === 'number' && (trace.op === 'enter' || trace.op === 'leave') && typeof trace.component === 'string' && typeof trace.lane === 'string';
      })
    );
  }
  return (
    message.t === 'done' &&
    Array.isArray(message.outcomes) &&
    message.outcomes.every(
      (o: unknown) =>
        o !== null &&
        typeof o === 'object' &&
        typeof (o as ItemOutcome).id === 'number' &&
        ((o as ItemOutcome).ok === true ? typeof (o as { result?: unknown }).result === 'object' : typeof (o as { error?: { message?: unknown } }).error?.message === 'string'),
    )
  );
}
