// The engine's end of a runtime's message channel. The runtime's end is
// Node's own IPC channel (process.send, which Codebolt-built blocks call too),
// opened on the socket the environment names (NODE_CHANNEL_FD); this end is
// read here rather than by Node's `ipc` stdio. The running code shares the
// channel and can write anything to its fd, and Node's reader, run inside
// the server, throws a line that is not JSON out of its event handler (an
// uncaught exception: the server dies) and buffers a line without end
// without bound. Here a line that is not JSON is dropped, a line longer than
// the bound is dropped as it arrives and reported, and nothing read can
// carry a file descriptor: the socket is read as a plain stream.
import type { Socket } from 'node:net';
import { MAX_LINE_BYTES } from '../../runtime/messages.js';

/** What the engine sets in the runtime's environment so that Node opens its channel on `fd`. */
export function channelEnv(fd: number): Record<string, string> {
  return { NODE_CHANNEL_FD: String(fd), NODE_CHANNEL_SERIALIZATION_MODE: 'json' };
}

export interface ChannelEvents {
  message(value: unknown): void;
  /** A line grew past the bound (`bytes` so far): it is dropped to its end. Once per such line. */
  oversize(bytes: number): void;
}

export class RuntimeChannel {
  /** Resolves once the channel is closed: every message written before has been read. */
  readonly closed: Promise<void>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The current line passed the bound: skipped to its end. */
  private dropping = false;

  constructor(
    private readonly socket: Socket,
    private readonly events: ChannelEvents,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // A reset by a dying runtime is a close like any other.
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => this.read(data));
  }

  get connected(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  /** Written in Node's json serialization, which the runtime's process.on('message') reads. */
  send(message: unknown): void {
    if (!this.connected) return;
    this.socket.write(JSON.stringify(message) + '\n');
  }

  close(): void {
    this.socket.destroy();
  }

  private read(data: Buffer): void {
    let from = 0;
    for (let end = data.indexOf(10); end !== -1; from = end + 1, end = data.indexOf(10, from)) {
      const last = data.subarray(from, end);
      if (this.fits(last)) this.parse(this.buffered > 0 ? Buffer.concat([...this.chunks, last]) : last);
      this.chunks = [];
      this.buffered = 0;
      this.dropping = false;
    }
    const rest = data.subarray(from);
    if (rest.length > 0 && this.fits(rest)) {
      this.chunks.push(rest);
      this.buffered += rest.length;
    }
  }

  /** Whether the current line, with `part`, is still within the bound; past it, reported once and dropped to its end. */
  private fits(part: Buffer): boolean {
    if (this.dropping) return false;
    if (this.buffered + part.length <= this.maxLineBytes) return true;
    this.dropping = true;
    this.events.oversize(this.buffered + part.length);
    this.chunks = [];
    this.buffered = 0;
    return false;
  }

  private parse(line: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(line.toString('utf8'));
    } catch {
      return; // not a message: dropped
    }
    this.events.message(value);
  }
}
