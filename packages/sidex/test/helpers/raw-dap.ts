import WebSocket from 'ws';

export type DapFrame = Record<string, any>;

/** A raw WebSocket to `/task/service` that collects every frame, for tests that speak DAP by hand. */
export class RawDap {
  readonly frames: DapFrame[] = [];
  private seq = 0;
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      const newline = isBinary ? bytes.indexOf(10) : -1;
      // A binary frame: JSON header, a newline, then the bytes of `arguments.data`.
      const frame = JSON.parse((newline >= 0 ? bytes.subarray(0, newline) : bytes).toString()) as DapFrame;
      if (newline >= 0) frame.arguments = { ...frame.arguments, data: bytes.subarray(newline + 1) };
      this.frames.push(frame);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async open(baseUrl: string): Promise<RawDap> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/task/service`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawDap(ws);
  }

  /** Opens a connection and authenticates it. */
  static async authed(baseUrl: string, key: string): Promise<RawDap> {
    const dap = await RawDap.open(baseUrl);
    const reply = await dap.request('auth', { auth: key });
    if (!reply.success) throw new Error(`auth failed: ${reply.message}`);
    return dap;
  }

  /** Sends a request with the next seq (or the one given) and waits for its response. */
  async request(command: string, args?: Record<string, unknown>, extra: Record<string, unknown> = {}, timeoutMs?: number): Promise<DapFrame> {
    const seq = ++this.seq;
    this.send({ type: 'request', seq, command, ...(args ? { arguments: args } : {}), ...extra });
    return this.next((f) => f.type === 'response' && f.request_seq === seq, timeoutMs);
  }

  /** Sends `arguments.data` as raw bytes after the JSON header, in one binary frame. */
  async binary(command: string, args: Record<string, unknown>, data: Uint8Array): Promise<DapFrame> {
    const seq = ++this.seq;
    const header = Buffer.from(JSON.stringify({ type: 'request', seq, command, arguments: args }));
    this.ws.send(Buffer.concat([header, Buffer.from('\n'), data]));
    return this.next((f) => f.type === 'response' && f.request_seq === seq);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** Waits for a frame matching `match` (already received or to come). */
  async next(match: (frame: DapFrame) => boolean, timeoutMs = 15_000): Promise<DapFrame> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (Date.now() > end) throw new Error(`no matching frame in ${timeoutMs} ms; last: ${JSON.stringify(this.frames.slice(-5))}`);
      if (this.closed) throw new Error(`the connection closed (${this.closed.code} ${this.closed.reason}); last: ${JSON.stringify(this.frames.slice(-3))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  events(name: string): DapFrame[] {
    return this.frames.filter((f) => f.type === 'event' && f.event === name);
  }

  /** Resolves once the server has closed the connection. */
  async untilClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const end = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > end) throw new Error('the connection did not close');
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
