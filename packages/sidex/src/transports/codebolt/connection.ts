import type { Logger } from 'pino';
import WebSocket, { type RawData } from 'ws';
import { SidexError } from '../../errors.js';
import { fail } from '../../services/replies.js';
import type { EventHub, EventSink } from '../events/event-hub.js';
import type { ExecutionEvent } from '../events/execution-events.js';
import type { ConnectionControl, Handler } from './dispatch.js';
import { parseFrame, replyTypeOf } from './frames.js';
import { corkedSender } from '@sidex/client/corked-send';
import { Subscriptions } from './subscriptions.js';

export interface ConnectionLimits {
  /** Events are dropped (and the drop announced) while more than this many bytes wait to be sent. */
  eventHighWater: number;
  /** Reading new frames pauses while more than this many bytes of replies wait to be sent... */
  replyHighWater: number;
  /** ...or while this many requests are being served. */
  maxInFlight: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  eventHighWater: 1024 * 1024,
  replyHighWater: 8 * 1024 * 1024,
  maxInFlight: 1024,
};

const WATCH_MS = 25;

/**
 * One client on `/codebolt`: reads frames, calls the dialect's handlers, replies
 * with the request's `requestId`, and streams the events it subscribed to.
 * Memory per connection stays bounded: a client that does not read gets its
 * events dropped (with a notice once it catches up) and its socket is no
 * longer read until its replies drain.
 */
export class CodeboltConnection implements EventSink, ConnectionControl {
  private readonly subscriptions = new Subscriptions();
  private inFlight = 0;
  private dropped = 0;
  private paused = false;
  private watch: NodeJS.Timeout | undefined;
  private readonly send: (text: string) => void;

  constructor(
    private readonly ws: WebSocket,
    private readonly handlers: Map<string, Map<string, Handler>>,
    private readonly hub: EventHub,
    private readonly log: Logger,
    private readonly limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
  ) {
    this.send = corkedSender(ws);
    ws.on('message', (data) => this.onMessage(data));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.log.debug({ err }, 'codebolt connection error'));
  }

  // ---- ConnectionControl ----------------------------------------------------

  subscribe(id: string | undefined) {
    this.subscriptions.add(id);
    this.hub.add(this);
    return this.subscriptions.describe();
  }

  unsubscribe(id: string | undefined) {
    this.subscriptions.remove(id);
    if (this.subscriptions.empty) this.hub.delete(this);
    return this.subscriptions.describe();
  }

  // ---- EventSink ------------------------------------------------------------

  wants(id: string): boolean {
    return this.subscriptions.wants(id);
  }

  deliver(event: ExecutionEvent): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.limits.eventHighWater) {
      this.dropped++;
      this.arm();
      return;
    }
    this.announceDrops();
    this.send(JSON.stringify({ type: 'sideExecutionEvent', ...event }));
  }

  // ---- frames -----------------------------------------------------------------

  /** Text and binary frames alike are read as UTF-8 JSON. */
  private onMessage(data: RawData): void {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    const parsed = parseFrame(text);
    if (!parsed.ok) {
      this.reply(fail(replyTypeOf(parsed.head), parsed.error), parsed.head.requestId);
      return;
    }
    const { frame } = parsed;
    const type = replyTypeOf(frame);
    const byType = this.handlers.get(frame.type);
    if (!byType) {
      const known = [...this.handlers.keys()].join(', ');
      this.reply(fail(type, new SidexError('UNKNOWN_TYPE', `type "${frame.type}" is not served here (known: ${known})`, { field: 'type' })), frame.requestId);
      return;
    }
    const handler = byType.get(frame.action);
    if (!handler) {
      const known = [...byType.keys()].join(', ');
      this.reply(
        fail(type, new SidexError('UNKNOWN_ACTION', `action "${frame.action}" is not one of type "${frame.type}" (known: ${known})`, { field: 'action' })),
        frame.requestId,
      );
      return;
    }
    this.inFlight++;
    this.throttle();
    handler(frame, this)
      .catch((err: unknown) => fail(type, err))
      .then((reply) => this.reply(reply, frame.requestId))
      .finally(() => {
        this.inFlight--;
        this.throttle();
      });
  }

  private reply(reply: object, requestId: string | number | undefined): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    let text: string;
    try {
      text = JSON.stringify(requestId === undefined ? reply : { ...reply, requestId });
    } catch (err) {
      text = JSON.stringify({ ...fail(replyTypeOf({}), err), ...(requestId !== undefined ? { requestId } : {}) });
    }
    this.send(text);
  }

  // ---- flow control -----------------------------------------------------------

  private overloaded(): boolean {
    return this.inFlight >= this.limits.maxInFlight || this.ws.bufferedAmount > this.limits.replyHighWater;
  }

  private throttle(): void {
    if (!this.paused && this.overloaded()) {
      this.paused = true;
      this.ws.pause();
      this.arm();
    }
  }

  /** Checks every few ms, while needed, whether the socket drained. */
  private arm(): void {
    this.watch ??= setInterval(() => this.check(), WATCH_MS);
  }

  private check(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return this.disarm();
    if (this.paused && this.inFlight < this.limits.maxInFlight / 2 && this.ws.bufferedAmount < this.limits.replyHighWater / 2) {
      this.paused = false;
      this.ws.resume();
    }
    if (this.dropped > 0 && this.ws.bufferedAmount <= this.limits.eventHighWater / 4) this.announceDrops();
    if (!this.paused && this.dropped === 0) this.disarm();
  }

  private disarm(): void {
    clearInterval(this.watch);
    this.watch = undefined;
  }

  private announceDrops(): void {
    if (this.dropped === 0) return;
    const count = this.dropped;
    this.dropped = 0;
    this.send(
      JSON.stringify({
        type: 'sideExecutionEvent',
        event: 'dropped',
        count,
        message: `${count} event(s) were dropped because this connection read too slowly; getSideExecutionStatus gives the current state`,
        time: Date.now(),
      }),
    );
  }

  private onClose(): void {
    this.disarm();
    this.hub.delete(this);
  }
}
