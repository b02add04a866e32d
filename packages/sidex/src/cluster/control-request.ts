// A control message that needs an answer (a stdin write). The server sends it
// on the control channel as it does a stop, naming where to answer: a reply
// channel of its own and a request id. The worker holding the execution
// publishes there what its engine said, value or error. Nobody answering
// within the time (the worker died, or no longer holds it) is an answer too:
// `undefined`, for the caller to tell apart.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { errorParts, SidexError, type ErrorParts } from '../errors.js';
import { replyChannel } from './keys.js';

/** Where a worker answers a request. */
export interface ReplyAddress {
  channel: string;
  request: string;
}

type Outcome = { request: string; value: unknown } | { request: string; error: ErrorParts };

/** A worker's answer to a request: what its engine returned, or the error it threw. */
export function answer(redis: Redis, to: ReplyAddress, outcome: { value: unknown } | { error: unknown }): Promise<unknown> {
  const body: Outcome = 'error' in outcome ? { request: to.request, error: errorParts(outcome.error) } : { request: to.request, value: outcome.value };
  return redis.publish(to.channel, JSON.stringify(body));
}

/** A server's side: one subscription to its reply channel, the requests waiting on it. */
export class ControlRequests {
  private readonly channel = replyChannel(randomUUID());
  private readonly pending = new Map<string, (outcome: Outcome | undefined) => void>();
  private readonly subscribed: Promise<unknown>;

  /** `subscriber`: a connection of its own (a subscribed connection does nothing else), closed with this. */
  constructor(private readonly subscriber: Redis) {
    subscriber.on('error', () => {});
    subscriber.on('message', (_channel: string, text: string) => {
      const outcome = parseOutcome(text);
      if (outcome) this.pending.get(outcome.request)?.(outcome);
    });
    // ioredis subscribes again after a reconnection.
    this.subscribed = subscriber.subscribe(this.channel);
    this.subscribed.catch(() => {});
  }

  /**
   * Sends a request with `send` (given the address to put in it) and resolves
   * with the value answered, throws the SidexError answered, or resolves
   * `undefined` when no answer came within `timeoutMs`.
   */
  async ask<T>(send: (to: ReplyAddress) => Promise<unknown>, timeoutMs: number): Promise<T | undefined> {
    await this.subscribed;
    const to: ReplyAddress = { channel: this.channel, request: randomUUID() };
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<Outcome | undefined>((resolve) => {
      this.pending.set(to.request, resolve);
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      await send(to);
      const outcome = await answered;
      if (!outcome) return undefined;
      if ('error' in outcome) throw new SidexError(outcome.error.code, outcome.error.message, outcome.error.details);
      return outcome.value as T;
    } finally {
      clearTimeout(timer);
      this.pending.delete(to.request);
    }
  }

  close(): void {
    for (const resolve of this.pending.values()) resolve(undefined);
    this.subscriber.disconnect();
  }
}

function parseOutcome(text: string): Outcome | undefined {
  try {
    const outcome = JSON.parse(text) as Outcome;
    return typeof outcome?.request === 'string' ? outcome : undefined;
  } catch {
    return undefined;
  }
}
