import crypto from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { corkedSender } from '@sidex/protocol/frames';
import { SidexClientError } from './errors.js';

export interface ConnectionOptions {
  /** `ws://host:port/codebolt`. */
  url: string;
  apiKey?: string;
  /** A request with no reply after this long rejects with TIMEOUT. */
  requestTimeoutMs: number;
  /** waitForReady rejects after this long without a connection. */
  connectTimeoutMs: number;
  /** Reconnect backoff: first delay, doubling up to the max, with jitter. */
  reconnectInitialMs: number;
  reconnectMaxMs: number;
}

interface Pending {
  frame: string;
  sent: boolean;
  resolve(reply: Record<string, unknown>): void;
  reject(err: Error): void;
  /** performance.now() after which it rejects with TIMEOUT. */
  deadline: number;
  describe: string;
  timeoutMs: number;
}

/** One sweep of the pending requests this often, rather than a timer per request. */
const SWEEP_MS = 25;

type MessageHandler = (message: Record<string, unknown>) => void;

/**
 * One WebSocket to `/codebolt` that survives restarts of the server: requests
 * carry a unique `requestId` and are matched by it alone; requests made while
 * disconnected wait (up to their timeout) for the next connection; requests
 * in flight when it drops reject with CONNECTION_LOST (whether they ran is
 * unknown). The socket does not keep the process alive while nothing is
 * pending, so a script exits when its work is done.
 */
export class Connection {
  private ws: WebSocket | undefined;
  private sendText: ((text: string) => void) | undefined;
  private socket: Socket | undefined;
  private open = false;
  private everOpened = false;
  /** The last attempt found nothing listening (before any connection succeeded). */
  private refused: SidexClientError | undefined;
  private closed = false;
  private fatal: SidexClientError | undefined;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly prefix = crypto.randomBytes(4).toString('hex');
  private seq = 0;
  private holds = 0;
  private readyWaiters: Array<{ resolve(): void; reject(err: Error): void }> = [];
  private readonly openHandlers = new Set<() => void>();

  constructor(
    private readonly options: ConnectionOptions,
    private readonly onEvent: MessageHandler,
  ) {
    this.connect();
  }

  get connected(): boolean {
    return this.open;
  }

  /** Called after every (re)connection. */
  onOpen(handler: () => void): () => void {
    this.openHandlers.add(handler);
    return () => this.openHandlers.delete(handler);
  }

  waitForReady(timeoutMs = this.options.connectTimeoutMs): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.reject(new SidexClientError('CLOSED', 'the client was closed'));
    if (this.open) return Promise.resolve();
    if (this.refused) return Promise.reject(this.refused);
    return new Promise<void>((resolve, reject) => {
      const release = this.hold();
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          release();
          resolve();
        },
        reject: (err: Error) => {
          clearTimeout(timer);
          release();
          reject(err);
        },
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        waiter.reject(new SidexClientError('CONNECTION_FAILED', `could not connect to ${this.displayUrl()} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.readyWaiters.push(waiter);
    });
  }

  /** Sends a request and resolves with the reply that echoes its requestId. */
  request(fields: Record<string, unknown>, timeoutMs = this.options.requestTimeoutMs): Promise<any> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.closed) return Promise.reject(new SidexClientError('CLOSED', 'the client was closed'));
    const requestId = `${this.prefix}-${++this.seq}`;
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        frame: JSON.stringify({ ...fields, requestId }),
        sent: false,
        resolve,
        reject,
        deadline: performance.now() + timeoutMs,
        describe: `${String(fields.type)}.${String(fields.action)}`,
        timeoutMs,
      };
      this.pending.set(requestId, entry);
      this.sweeper ??= setInterval(() => this.sweep(), SWEEP_MS);
      this.updateRef();
      if (this.open) this.send(entry);
    });
  }

  /** Keeps the process alive until the returned release is called (waits, event listeners). */
  hold(): () => void {
    this.holds++;
    this.updateRef();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.updateRef();
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.failAll(new SidexClientError('CLOSED', 'the client was closed'), true);
    this.ws?.close(1000, 'client closed');
  }

  // ---- internals ----------------------------------------------------------------

  private connect(): void {
    const headers: Record<string, string> = this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
    const ws = new WebSocket(this.options.url, { headers, perMessageDeflate: false, handshakeTimeout: this.options.connectTimeoutMs });
    this.ws = ws;
    ws.on('upgrade', (response) => {
      this.socket = response.socket as Socket;
      this.updateRef();
    });
    ws.on('open', () => {
      this.sendText = corkedSender(ws);
      this.open = true;
      this.everOpened = true;
      this.refused = undefined;
      this.attempt = 0;
      for (const entry of this.pending.values()) if (!entry.sent) this.send(entry);
      for (const handler of this.openHandlers) handler();
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
    });
    ws.on('message', (data) => this.onMessage(data.toString()));
    ws.on('error', (err) => {
      if (/Unexpected server response: 401/.test(err.message)) {
        this.fatal = this.options.apiKey
          ? new SidexClientError('UNAUTHORIZED', `${this.displayUrl()} refused the API key (set SIDEX_API_KEY to the server's key)`)
          : new SidexClientError('UNAUTHORIZED', `${this.displayUrl()} needs an API key and none was given (set SIDEX_API_KEY to the server's key)`);
      } else if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED' && !this.everOpened) {
        // Nothing listens there: those waiting are told at once; the client keeps trying in case a server is starting.
        this.refused = new SidexClientError('CONNECTION_REFUSED', `nothing is listening at ${this.displayUrl()} (is \`sidex serve\` running there?)`);
        for (const waiter of this.readyWaiters.splice(0)) waiter.reject(this.refused);
      }
    });
    ws.on('close', () => {
      this.ws = undefined;
      this.sendText = undefined;
      this.socket = undefined;
      const wasOpen = this.open;
      this.open = false;
      if (this.fatal) {
        this.failAll(this.fatal, true);
        for (const waiter of this.readyWaiters.splice(0)) waiter.reject(this.fatal);
        return;
      }
      if (wasOpen) this.failAll(new SidexClientError('CONNECTION_LOST', `the connection to ${this.displayUrl()} was lost before the reply`), false);
      if (!this.closed) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const base = Math.min(this.options.reconnectMaxMs, this.options.reconnectInitialMs * 2 ** this.attempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
    this.updateRef();
  }

  private send(entry: Pending): void {
    entry.sent = true;
    this.sendText?.(entry.frame);
  }

  private onMessage(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const id = message.requestId;
    if (typeof id === 'string' && this.pending.has(id)) {
      const entry = this.settle(id)!;
      entry.resolve(message);
      return;
    }
    if (message.type === 'sideExecutionEvent') this.onEvent(message);
  }

  /** Rejects the requests whose time is up. */
  private sweep(): void {
    const now = performance.now();
    for (const [id, entry] of this.pending) {
      if (entry.deadline > now) continue;
      this.settle(id);
      entry.reject(new SidexClientError('TIMEOUT', `${entry.describe} had no reply within ${entry.timeoutMs} ms`));
    }
  }

  private settle(requestId: string): Pending | undefined {
    const entry = this.pending.get(requestId);
    if (!entry) return undefined;
    this.pending.delete(requestId);
    if (this.pending.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
    this.updateRef();
    return entry;
  }

  /** Rejects the requests already sent (or all of them). */
  private failAll(err: Error, all: boolean): void {
    for (const [id, entry] of this.pending) {
      if (all || entry.sent) {
        this.settle(id);
        entry.reject(err);
      }
    }
  }

  /** The socket and the reconnect timer keep the process alive only while something waits on them. */
  private updateRef(): void {
    const busy = this.pending.size > 0 || this.holds > 0;
    if (this.socket) busy ? this.socket.ref() : this.socket.unref();
    if (this.reconnectTimer) busy ? this.reconnectTimer.ref() : this.reconnectTimer.unref();
  }

  private displayUrl(): string {
    return this.options.url.replace(/\?.*$/, '');
  }
}
