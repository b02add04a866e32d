import type { Logger } from 'pino';
import WebSocket, { type RawData } from 'ws';
import { SidexError } from '../../errors.js';
import { fail } from '../replies/envelope.js';
import type { EventHub, EventSink } from '../events/event-hub.js';
import type { ExecutionEvent } from '@sidex/protocol';
import type { CodeboltApi } from './api/index.js';
import type { ConnectionControl, Handler } from './dispatch.js';
import { parseFrame, replyTypeOf } from './frames.js';
import { corkedSender } from '@sidex/protocol/frames';
import { Subscriptions } from './subscriptions.js';
import { DEFAULT_CONNECTION_LIMITS, FlowControl, type ConnectionLimits } from '../ws/flow-control.js';
import { frameText } from '../ws/frame-text.js';

/**
 * One client on `/codebolt`: reads frames, calls the dialect's handlers, replies
 * with the request's `requestId`, and streams the events it subscribed to.
 * Memory per connection stays bounded: a client that does not read gets its
 * events dropped (with a notice once it catches up) and its socket is no
 * longer read until its replies drain.
 */
export class CodeboltConnection implements EventSink, ConnectionControl {
  private readonly subscriptions = new Subscriptions();
  private readonly flow: FlowControl;
  private readonly send: (text: string) => void;

  constructor(
    private readonly ws: WebSocket,
    /** The dialect, bound to what this connection said of its caller. */
    readonly api: CodeboltApi,
    private readonly handlers: Map<string, Map<string, Handler>>,
    private readonly hub: EventHub,
    private readonly log: Logger,
    limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
  ) {
    this.send = corkedSender(ws);
    this.flow = new FlowControl(ws, limits, (count) => this.announceDrops(count));
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
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
    const send = () => this.send(JSON.stringify({ type: 'sideExecutionEvent', ...event }));
    this.flow.offerEvent(send, event.event === 'status' ? event.sideExecutionId : undefined);
  }

  // ---- frames -----------------------------------------------------------------

  /** Text and binary frames alike are read as UTF-8 JSON. */
  private onMessage(data: RawData, isBinary: boolean): void {
    const text = frameText(data, isBinary);
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
    this.flow.begin();
    handler(frame, this)
      .catch((err: unknown) => fail(type, err))
      .then((reply) => this.reply(reply, frame.requestId))
      .finally(() => this.flow.end());
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

  private announceDrops(count: number): void {
    this.send(
      JSON.stringify({
        type: 'sideExecutionEvent',
        event: 'dropped',
        count,
        message: `${count} event(s) were dropped because this connection read too slowly; the latest status of each execution whose status events were dropped follows`,
        time: Date.now(),
      }),
    );
  }

  private onClose(): void {
    this.flow.stop();
    this.hub.delete(this);
  }
}
