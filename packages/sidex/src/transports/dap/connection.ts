import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import WebSocket, { type RawData } from 'ws';
import { corkedSender } from '@sidex/protocol/frames';
import { errorParts, isSidexError, SidexError, type ErrorParts } from '../../errors.js';
import type { PipelineEvent } from '../../engine/pipelines/events.js';
import type { PipelineListener } from '../../services/pipeline/monitors.js';
import type { PipelineService } from '../../services/pipeline-service.js';
import { FlowControl, type ConnectionLimits } from '../ws/flow-control.js';
import { AuthGate, type AuthLimits, type FailedAuths } from './auth-gate.js';
import type { Authenticator } from '../auth.js';
import { ClientMonitors, ClientPipes } from './client-state.js';
import { BinaryReply, type CommandContext, type DapCommand } from './commands.js';
import { parseFrame, type FrameLimits } from './frames.js';

export interface DapConnectionOptions {
  commands: Map<string, DapCommand>;
  pipelines: PipelineService;
  keys: Authenticator;
  failures: FailedAuths;
  authLimits: AuthLimits;
  limits: ConnectionLimits;
  frameLimits: FrameLimits;
  log: Logger;
  version: string;
  /** The client's address, for limiting failed authentications. */
  address: string;
}

type Outcome = { success: true; body: object } | { success: false; error: unknown };

/**
 * One client on `/task/service`: reads DAP requests (text or binary frames),
 * authenticates the connection, calls the command, answers with a response
 * whose `request_seq` is the request's `seq`, and sends the events of its
 * monitors. When it goes away its monitors end and the pipes it left open are
 * abandoned. Memory stays bounded as on `/codebolt`; of the status updates
 * dropped while the client reads too slowly, the latest of each task is sent
 * once it has caught up.
 */
export class DapConnection {
  private seq = 0;
  private readonly id = randomUUID();
  private readonly send: (data: string) => void;
  private readonly flow: FlowControl;
  private readonly gate: AuthGate;
  private readonly monitors = new ClientMonitors();
  private readonly pipes: ClientPipes;
  private authTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: DapConnectionOptions,
  ) {
    this.send = corkedSender(ws);
    this.flow = new FlowControl(ws, options.limits, (count) => this.caughtUp(count));
    this.gate = new AuthGate(options.keys, options.failures, options.authLimits, options.address, options.version);
    this.pipes = new ClientPipes((pipe) => {
      options.pipelines.abandon(pipe).catch(() => {}); // closed or ended meanwhile: nothing to give up
    });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => options.log.debug({ err }, 'task/service connection error'));
    this.armAuthDeadline();
  }

  // ---- requests ---------------------------------------------------------------

  private onMessage(raw: RawData, isBinary: boolean): void {
    const data = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
    const parsed = parseFrame(data, isBinary, this.options.frameLimits);
    if (!parsed.ok) {
      this.respond(parsed.head.seq ?? 0, parsed.head.command ?? '', { success: false, error: parsed.error });
      return;
    }
    const { seq, command, args } = parsed.request;
    const handler = this.options.commands.get(command);
    const refusal = this.refusal(command, handler);
    if (refusal) {
      this.respond(seq, command, { success: false, error: refusal });
      return;
    }
    const released: Array<() => void> = [];
    const context: CommandContext = {
      gate: this.gate,
      monitors: this.monitors,
      pipes: this.pipes,
      listener: () => this.heldListener(released),
      connectionId: this.id,
    };
    this.flow.begin();
    let result: Promise<object>;
    try {
      // Run at once, not on a later tick: a request pipelined right behind `auth` finds the connection authenticated.
      result = Promise.resolve(handler!.run(args, context));
    } catch (err) {
      result = Promise.reject(err);
    }
    result
      .then(
        (body): Outcome => ({ success: true, body }),
        (error: unknown): Outcome => ({ success: false, error }),
      )
      .then((outcome) => {
        this.respond(seq, command, outcome);
        for (const release of released) release();
        if (command === 'auth') this.afterAuth(outcome.success);
        if (command === 'deauth' && outcome.success) this.armAuthDeadline();
      })
      .finally(() => this.flow.end());
  }

  /** Why a request is not served, if it is not: an unknown command, or a command other than auth/rrext_public_* before auth. */
  private refusal(command: string, handler: DapCommand | undefined): SidexError | undefined {
    if (!handler) {
      const known = [...this.options.commands.keys()].join(', ');
      return new SidexError('UNKNOWN_COMMAND', `command: "${command}" is not a command of this server (known: ${known})`, { field: 'command' });
    }
    if (!handler.public && !this.gate.authenticated) {
      return new SidexError('NOT_AUTHENTICATED', `command: "${command}" needs an authenticated connection: send auth {auth: "<API key>"} first (before it only auth and rrext_public_* are served)`, {
        field: 'command',
      });
    }
    return undefined;
  }

  private afterAuth(success: boolean): void {
    if (success) {
      clearTimeout(this.authTimer);
      this.authTimer = undefined;
    } else {
      this.ws.close(1008, 'authentication failed');
    }
  }

  private armAuthDeadline(): void {
    clearTimeout(this.authTimer);
    const ms = this.options.authLimits.authDeadlineMs;
    this.authTimer = setTimeout(() => {
      if (!this.gate.authenticated) this.ws.close(1008, `not authenticated within ${ms} ms`);
    }, ms);
    this.authTimer.unref();
  }

  private respond(requestSeq: number, command: string, outcome: Outcome): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const head = { type: 'response', seq: ++this.seq, request_seq: requestSeq, command };
    let text: string | undefined;
    if (outcome.success && outcome.body instanceof BinaryReply) {
      // JSON header, a newline, then the bytes: the client puts them in `arguments.data`.
      const { body, data } = outcome.body;
      this.ws.send(Buffer.concat([Buffer.from(JSON.stringify({ ...head, success: true, body, arguments: {} })), Buffer.from('\n'), data]));
      return;
    }
    if (outcome.success) {
      try {
        text = JSON.stringify({ ...head, success: true, body: outcome.body });
      } catch (err) {
        outcome = { success: false, error: err };
      }
    }
    this.send(text ?? JSON.stringify({ ...head, success: false, ...this.errorFields((outcome as { error: unknown }).error, command) }));
  }

  /** `message` is what RocketRide clients read; sidex adds a stable `code` and the `details`. */
  private errorFields(err: unknown, command: string): ErrorParts {
    if (!isSidexError(err)) this.options.log.error({ err, command }, 'task/service command failed');
    return errorParts(err);
  }

  // ---- events -------------------------------------------------------------------

  /** A monitor's listener: its events wait until this request's reply has gone out. */
  private heldListener(released: Array<() => void>): PipelineListener {
    let queue: PipelineEvent[] | undefined = [];
    released.push(() => {
      const waiting = queue!;
      queue = undefined;
      for (const event of waiting) this.deliver(event);
    });
    return (event) => (queue ? queue.push(event) : this.deliver(event));
  }

  private deliver(event: PipelineEvent): void {
    const send = () => this.sendEvent(event.event, { ...event.body, __id: event.token }, event.id);
    this.flow.offerEvent(send, event.event === 'apaevt_status_update' ? event.token : undefined);
  }

  /** `id` is the task's, at the top level as RocketRide sends it. */
  private sendEvent(event: string, body: Record<string, unknown>, id?: string): void {
    this.send(JSON.stringify({ type: 'event', seq: ++this.seq, event, ...(id ? { id } : {}), body }));
  }

  /** After dropping events: say how many (the latest status of each task whose updates were dropped follows, from the flow control). */
  private caughtUp(count: number): void {
    this.sendEvent('sidex_events_dropped', {
      count,
      message: `${count} event(s) were dropped because this connection read too slowly; the latest status of each task follows`,
    });
  }

  private onClose(): void {
    clearTimeout(this.authTimer);
    this.flow.stop();
    this.monitors.release();
    this.pipes.release();
    void this.options.pipelines.files.release(this.id);
  }
}
