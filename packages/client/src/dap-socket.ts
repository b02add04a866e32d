import WebSocket from 'ws';
import { corkedSender, encodeDapFrame, splitDapFrame } from '@sidex/protocol/frames';
import { PipelineError } from './pipeline-error.js';
import type { DapMessage } from '@sidex/protocol';

interface Pending {
  command: string;
  resolve(message: DapMessage): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

export interface DapSocketHandlers {
  onEvent(message: DapMessage): void;
  /** The socket closed after it had opened (not when close() was called). */
  onLost(reason: string): void;
}

/**
 * One WebSocket speaking DAP: requests carry a `seq` counted on this socket
 * and are matched to responses by `request_seq`; a request whose arguments
 * hold `data` (bytes or text) goes as a binary frame, its JSON header, `\n`,
 * then the bytes. Frames of one tick are written together.
 */
export class DapSocket {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly sendFrame: (data: string | Buffer) => void;
  private closing = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly handlers: DapSocketHandlers,
  ) {
    this.sendFrame = corkedSender(ws);
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    ws.on('error', () => {}); // a close follows
  }

  /** Opens a socket to `url` (`ws://host:port/task/service`). */
  static open(url: string, handlers: DapSocketHandlers, timeoutMs: number): Promise<DapSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const fail = (err: Error) => reject(new PipelineError('CONNECTION_FAILED', `could not connect to ${url}: ${err.message}`));
      ws.once('error', fail);
      ws.once('open', () => {
        ws.off('error', fail);
        resolve(new DapSocket(ws, handlers));
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request; resolves with its response (success or not), rejects if the socket closes first or time runs out. */
  request(command: string, args: Record<string, unknown> | undefined, timeoutMs?: number): Promise<DapMessage> {
    if (!this.open) return Promise.reject(new PipelineError('NOT_CONNECTED', 'the client is not connected: call connect() first', command));
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      const entry: Pending = { command, resolve, reject };
      if (timeoutMs !== undefined) {
        entry.timer = setTimeout(() => {
          this.pending.delete(seq);
          reject(new PipelineError('TIMEOUT', `${command} had no response within ${timeoutMs} ms`, command));
        }, timeoutMs);
      }
      this.pending.set(seq, entry);
      this.sendFrame(encodeDapFrame({ type: 'request', seq, command, ...(args ? { arguments: args } : {}) }));
    });
  }

  /** Closes the socket; requests still waiting reject with CLOSED. */
  close(): Promise<void> {
    this.closing = true;
    this.failAll(new PipelineError('CLOSED', 'the client disconnected'));
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 1000);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close(1000, 'client disconnected');
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    let message: DapMessage;
    try {
      message = decode(data, isBinary);
    } catch {
      return; // not DAP: nothing to match it with
    }
    if (message.type === 'response' && typeof message.request_seq === 'number') {
      const entry = this.pending.get(message.request_seq);
      if (!entry) return;
      this.pending.delete(message.request_seq);
      clearTimeout(entry.timer);
      entry.resolve(message);
    } else if (message.type === 'event') {
      this.handlers.onEvent(message);
    }
  }

  private onClose(code: number, reason: string): void {
    const why = reason || `the connection closed (code ${code})`;
    this.failAll(new PipelineError('CONNECTION_LOST', `${why}; whether the request was carried out is unknown`));
    if (!this.closing) this.handlers.onLost(why);
  }

  private failAll(err: PipelineError): void {
    for (const [seq, entry] of this.pending) {
      this.pending.delete(seq);
      clearTimeout(entry.timer);
      entry.reject(new PipelineError(err.code, err.message, entry.command));
    }
  }
}

function decode(data: Buffer, isBinary: boolean): DapMessage {
  const { json, data: bytes } = splitDapFrame(data, isBinary);
  const message = JSON.parse(json.toString('utf8')) as DapMessage;
  if (bytes !== undefined) message.arguments = { ...message.arguments, data: bytes };
  return message;
}
