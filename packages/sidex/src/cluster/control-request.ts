// A control message that needs an answer (a stdin write). The server keeps
// the request's payload in Redis under a key of its own, sends the message on
// the control channel as it does a stop, naming where to answer (a reply
// channel of its own and the request id); the worker holding the execution
// takes the payload (GETDEL: once), acts, and publishes what its engine said,
// value or error. Bounded in time, and exact about what happened: a request
// nobody took within the time is withdrawn (its key deleted) and can never
// be acted on later; one taken but not answered is said to be so.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { errorParts, SidexError, type ErrorParts } from '../errors.js';
import { replyChannel, requestPayload } from './keys.js';

/** Where a worker finds a request's payload and answers it. */
export interface ReplyAddress {
  channel: string;
  request: string;
}

/** An answer, or why there is none: `withdrawn` (nobody took it: nothing was done), `unanswered` (taken, then silence). */
export type Asked<T> = { value: T } | { withdrawn: true } | { unanswered: true };

type Outcome = { request: string; value: unknown } | { request: string; error: ErrorParts };

/** A payload no taker claimed is deleted by its server at the timeout; this only bounds what a server that died leaves. */
const PAYLOAD_TTL_SEC = 60;

/** A worker's side: the payload, once; undefined when the request was withdrawn (or taken already). */
export function takeRequest(redis: Redis, to: ReplyAddress): Promise<Buffer | null> {
  return redis.getdelBuffer(requestPayload(to.request));
}

/** A worker's answer to a request it took: what its engine returned, or the error it threw. */
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
  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
  ) {
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
   * Sends a request with `send` (given the address to put in the message) and
   * waits up to `timeoutMs` for its answer: the value, or the SidexError
   * answered, thrown. Past the time, the request is withdrawn if nobody has
   * taken it; if a worker has, it gets as long again to answer.
   */
  async ask<T>(payload: Buffer, send: (to: ReplyAddress) => Promise<unknown>, timeoutMs: number): Promise<Asked<T>> {
    const to: ReplyAddress = { channel: this.channel, request: randomUUID() };
    const answered = this.answerOf(to.request);
    try {
      const sent = this.subscribed.then(() => this.redis.set(requestPayload(to.request), payload, 'EX', PAYLOAD_TTL_SEC)).then(() => send(to));
      // The bound covers the sending too: with Redis away, ioredis holds commands until it is back.
      let outcome = await Promise.race([within(answered, timeoutMs), sent.then(() => answered)]);
      if (!outcome) {
        // Deleted here: no worker took it, and none can now. Not deleted: one took it, and should answer soon.
        const deleted = await within(this.redis.del(requestPayload(to.request)), timeoutMs);
        if (deleted === 1) return { withdrawn: true };
        outcome = await within(answered, timeoutMs);
        if (!outcome) return { unanswered: true };
      }
      if ('error' in outcome) throw new SidexError(outcome.error.code, outcome.error.message, outcome.error.details);
      return { value: outcome.value as T };
    } finally {
      this.pending.delete(to.request);
    }
  }

  close(): void {
    for (const resolve of this.pending.values()) resolve(undefined);
    this.subscriber.disconnect();
  }

  private answerOf(request: string): Promise<Outcome | undefined> {
    return new Promise((resolve) => this.pending.set(request, resolve));
  }
}

/** The promise's value, or undefined after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function parseOutcome(text: string): Outcome | undefined {
  try {
    const outcome = JSON.parse(text) as Outcome;
    return typeof outcome?.request === 'string' ? outcome : undefined;
  } catch {
    return undefined;
  }
}
