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
//
// A write fails (EPIPE) once the runtime has exited, which may be before its
// last lines are read: a command's exit code, a result. net.Socket destroys
// itself on a failed write, and what it had not read yet is lost with it.
// Here a failed write only ends the writing; reading goes on to the end.
import type { Socket } from 'node:net';
import { MAX_VALUE_DEPTH, nestsDeeperThan } from '../../runtime/json-depth.js';
import { MAX_LINE_BYTES } from '../../runtime/messages.js';

const ENVELOPE_DEPTH = 8;

/** What the engine sets in the runtime's environment so that Node opens its channel on `fd`. */
export function channelEnv(fd: number): Record<string, string> {
  return { NODE_CHANNEL_FD: String(fd), NODE_CHANNEL_SERIALIZATION_MODE: 'json' };
}

export interface ChannelEvents {
  message(value: unknown): void;
  /** A line grew past the bound (`bytes` so far): it is dropped to its end. Once per such line. */
  oversize(bytes: number): void;
  /** A line nested deeper than any message may: dropped. */
  tooDeep(): void;
}

export class RuntimeChannel {
  /** Resolves once the channel is closed: every message written before has been read. */
  readonly closed: Promise<void>;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The current line passed the bound: skipped to its end. */
  private dropping = false;
  /** A write failed: the runtime is gone, and nothing more is written. */
  private writeFailed = false;

  constructor(
    private readonly socket: Socket,
    private readonly events: ChannelEvents,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // A reset by a dying runtime is a close like any other.
    socket.on('error', () => {});
    socket.on('data', (data: Buffer) => this.read(data));
    this.keepReadingPastWriteErrors();
  }

  get connected(): boolean {
    return !this.writeFailed && !this.socket.destroyed && this.socket.writable;
  }

  /** Written in Node's json serialization, which the runtime's process.on('message') reads. */
  send(message: unknown): void {
    if (!this.connected) return;
    this.socket.write(JSON.stringify(message) + '\n');
  }

  close(): void {
    this.socket.destroy();
  }

  /**
   * The socket's own write methods, with their failure kept from the stream
   * (Writable destroys the whole socket on one). Writable's contract for
   * these two is public: they are what a stream implementation provides.
   */
  private keepReadingPastWriteErrors(): void {
    const { socket } = this;
    const write = socket._write;
    const writev = socket._writev;
    const noted = (callback: (error?: Error | null) => void) => (error?: Error | null) => {
      if (error) this.writeFailed = true;
      callback();
    };
    socket._write = (chunk, encoding, callback) => write.call(socket, chunk, encoding, noted(callback));
    if (writev) socket._writev = (chunks, callback) => writev.call(socket, chunks, noted(callback));
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
    const text = line.toString('utf8');
    // The contract's envelopes nest a few levels around their values.
    if (nestsDeeperThan(text, MAX_VALUE_DEPTH + ENVELOPE_DEPTH)) return this.events.tooDeep();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return; // not a message: dropped
    }
    this.events.message(value);
  }
}
