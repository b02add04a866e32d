// Requests and replies between servers, and notes to all of them, over Redis
// pub/sub. Each server listens on its own channel (requests to it, replies to
// its requests) and on one every server shares (notes). A request is answered
// whenever its work ends (a terminate may drain for an hour): it is not timed
// out, but failed as soon as the server it went to is seen gone.
import type { Redis } from 'ioredis';
import { errorParts, SidexError, type ErrorParts } from '../../errors.js';
import { pipelineChannel, pipelinesChannel } from '../keys.js';
import { fromWire, toWire } from './wire.js';

/** What every server hears. */
export type Note = { t: 'event'; from: string; event: unknown } | { t: 'wants'; from: string; v: number; wants: string[] };

type Request = { t: 'req'; id: number; from: string; method: string; args: unknown[] };
type Reply = { t: 'res'; id: number; ok: true; value?: unknown } | { t: 'res'; id: number; ok: false; error: ErrorParts };

export interface BusHandlers {
  /** Runs a request another server sent. */
  request(from: string, method: string, args: unknown[]): Promise<unknown>;
  note(note: Note): void;
  /** A successful reply nobody took: the server that asked is gone. */
  undelivered(from: string, method: string, args: unknown[], value: unknown): void;
  /** Whether a server's liveness key is there (its heartbeat runs). */
  isLive(server: string): Promise<boolean>;
}

export interface BusTimings {
  /** How long a server may have nobody listening on its channel before it counts as gone. */
  lostAfterMs: number;
  /** How often the servers that pending requests went to are checked. */
  checkMs: number;
}

export const DEFAULT_BUS_TIMINGS: BusTimings = { lostAfterMs: 2000, checkMs: 500 };

interface Pending {
  server: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  lost(): SidexError;
}

export class PipelineBus {
  private readonly pending = new Map<number, Pending>();
  /** Since when each server with pending requests has had nobody on its channel. */
  private readonly silentSince = new Map<string, number>();
  /** Servers seen gone, and when: a request to one still silent fails at once instead of waiting lostAfterMs again. */
  private readonly gone = new Map<string, number>();
  private next = 0;
  private readonly checker: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly db: number,
    readonly server: string,
    private readonly handlers: BusHandlers,
    private readonly timings: BusTimings = DEFAULT_BUS_TIMINGS,
  ) {
    subscriber.on('message', (_channel: string, text: string) => this.onMessage(text));
    this.checker = setInterval(() => void this.checkServers(), timings.checkMs).unref();
  }

  listen(): Promise<unknown> {
    return this.subscriber.subscribe(pipelineChannel(this.db, this.server), pipelinesChannel(this.db));
  }

  /** Asks `server` to run `method`; its answer, or its error (same code, message, details); `lost()` once it is gone. */
  async request(server: string, method: string, args: unknown[], lost: () => SidexError): Promise<unknown> {
    if (this.closed) throw new SidexError('SHUTTING_DOWN', 'the server is shutting down');
    const id = ++this.next;
    const reply = new Promise<unknown>((resolve, reject) => this.pending.set(id, { server, resolve, reject, lost }));
    reply.catch(() => {}); // rejected maybe before the caller awaits it
    const text = JSON.stringify({ t: 'req', id, from: this.server, method, args: toWire(args) as unknown[] } satisfies Request);
    // Nobody on its channel: it died, or its connection is coming back (Redis restarted). Tried again until lostAfterMs.
    const began = Date.now();
    while (this.pending.has(id)) {
      if ((await this.redis.publish(pipelineChannel(this.db, server), text)) > 0) {
        this.gone.delete(server);
        break;
      }
      if (this.gone.has(server) || Date.now() - began >= this.timings.lostAfterMs) this.failPending(server);
      else await sleep(RETRY_MS);
    }
    return reply;
  }

  /** Tells every server (itself ignores it). Resolves once Redis has it: later requests reach others after it. */
  async tell(note: Note): Promise<void> {
    await this.redis.publish(pipelinesChannel(this.db), JSON.stringify(toWire(note))).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.checker);
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new SidexError('SHUTTING_DOWN', 'the server is shutting down')));
    this.subscriber.disconnect();
  }

  private onMessage(text: string): void {
    let message: Request | Reply | Note;
    try {
      message = fromWire(JSON.parse(text)) as Request | Reply | Note;
    } catch {
      return;
    }
    if (message.t === 'res') {
      const reply = message;
      this.settle(reply.id, (p) => (reply.ok ? p.resolve(reply.value) : p.reject(new SidexError(reply.error.code, reply.error.message, reply.error.details))));
    } else if (message.t === 'req') void this.answer(message);
    else if (message.from !== this.server) this.handlers.note(message);
  }

  private async answer(request: Request): Promise<void> {
    let reply: Reply;
    try {
      reply = { t: 'res', id: request.id, ok: true, value: await this.handlers.request(request.from, request.method, request.args) };
    } catch (err) {
      reply = { t: 'res', id: request.id, ok: false, error: errorParts(err) };
    }
    // Nobody on the asker's channel: it died, or its connection is coming back. Tried again until lostAfterMs, as a request is.
    const text = JSON.stringify(toWire(reply));
    const began = Date.now();
    while ((await this.redis.publish(pipelineChannel(this.db, request.from), text).catch(() => 0)) === 0) {
      if (this.closed || Date.now() - began >= this.timings.lostAfterMs) {
        if (reply.ok) this.handlers.undelivered(request.from, request.method, request.args, reply.value);
        return;
      }
      await sleep(RETRY_MS);
    }
  }

  /** `server` is gone: every request to it fails, now and while it stays silent. */
  private failPending(server: string): void {
    this.gone.set(server, Date.now());
    for (const [id, p] of this.pending) if (p.server === server) this.settle(id, () => p.reject(p.lost()));
  }

  private settle(id: number, how: (pending: Pending) => void): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    how(pending);
  }

  /** The servers pending requests went to: one gone (nobody on its channel for lostAfterMs, or its liveness expired) fails them. */
  private async checkServers(): Promise<void> {
    const servers = new Set([...this.pending.values()].map((p) => p.server));
    for (const server of this.silentSince.keys()) if (!servers.has(server)) this.silentSince.delete(server);
    // Past this, its tasks' claims have long lapsed: nothing routes calls to it.
    for (const [server, at] of this.gone) if (Date.now() - at > GONE_KEPT_MS) this.gone.delete(server);
    for (const server of servers) await this.checkServer(server);
  }

  private async checkServer(server: string): Promise<void> {
    if (this.closed) return;
    try {
      const [, listening] = (await this.redis.pubsub('NUMSUB', pipelineChannel(this.db, server))) as [string, number];
      const now = Date.now();
      if (Number(listening) > 0) this.silentSince.delete(server);
      else if (!this.silentSince.has(server)) {
        this.silentSince.set(server, now);
        // Checked again right when its silence has lasted lostAfterMs, not at the next interval after: the bound stays lostAfterMs plus one interval.
        setTimeout(() => void this.checkServer(server), this.timings.lostAfterMs + 10).unref();
      }
      const silent = now - (this.silentSince.get(server) ?? now) >= this.timings.lostAfterMs;
      if (silent || !(await this.handlers.isLive(server))) this.failPending(server);
    } catch {
      // Redis away: checked again next time
    }
  }
}

const RETRY_MS = 200;
const GONE_KEPT_MS = 10 * 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
