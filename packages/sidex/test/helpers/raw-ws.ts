import type { Socket } from 'node:net';
import WebSocket from 'ws';

/** A raw WebSocket to `/codebolt` that collects every frame, for tests that speak the dialect by hand. */
export class RawSocket {
  readonly frames: Array<Record<string, any>> = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Record<string, any>);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async open(url: string, key: string | undefined, via: 'header' | 'query' = 'header'): Promise<RawSocket> {
    const target = key && via === 'query' ? `${url}?token=${encodeURIComponent(key)}` : url;
    const ws = new WebSocket(target, key && via === 'header' ? { headers: { authorization: `Bearer ${key}` } } : {});
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawSocket(ws);
  }

  /** A string as it is, bytes as a binary frame, anything else as its JSON. */
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /**
   * Sends the frames in one write, so that they reach the server in one read:
   * frames sent one by one may each be read on a turn of its own.
   */
  sendTogether(frames: unknown[]): void {
    const socket = (this.ws as unknown as { _socket: Socket })._socket;
    socket.cork();
    for (const frame of frames) this.send(frame);
    socket.uncork();
  }

  /** Waits for a frame matching `match` (already received or to come). */
  async next(match: (frame: Record<string, any>) => boolean, timeoutMs = 10_000): Promise<Record<string, any>> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > end) throw new Error(`no matching frame in ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Sends a request and waits for the reply echoing its requestId. */
  async request(frame: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, any>> {
    const requestId = `t-${Math.random().toString(36).slice(2)}`;
    this.send({ ...frame, requestId });
    return this.next((f) => f.requestId === requestId, timeoutMs);
  }

  close(): void {
    this.ws.close();
  }
}
