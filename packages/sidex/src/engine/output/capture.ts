import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { frameHeader, type StreamName } from './log-format.js';
import { TailBuffer } from './tail-buffer.js';

export interface OutputChunk {
  stream: StreamName;
  time: number;
  data: Buffer;
}

export interface CapturedText {
  text: string;
  truncated: boolean;
  bytes: number;
}

/**
 * Captures a child's stdout and stderr completely: every chunk goes to the log
 * file, the bounded tails and the live listener. When the log file falls
 * behind, the pipes are paused, so a flood makes the child wait (its writes are
 * blocking) instead of growing this process's memory.
 */
export class OutputCapture {
  private readonly tails = { stdout: new TailBuffer(0), stderr: new TailBuffer(0) };
  private readonly bytes = { stdout: 0, stderr: 0 };
  private readonly log: fs.WriteStream;
  private readonly sources: Readable[] = [];
  private readonly names = new Map<Readable, StreamName>();
  private openStreams = 0;
  private endedResolve!: () => void;
  private readonly ended = new Promise<void>((resolve) => (this.endedResolve = resolve));

  constructor(
    logPath: string,
    tailBytes: number,
    private readonly onChunk: (chunk: OutputChunk) => void,
  ) {
    this.tails = { stdout: new TailBuffer(tailBytes), stderr: new TailBuffer(tailBytes) };
    this.log = fs.createWriteStream(logPath, { flags: 'w', highWaterMark: 1024 * 1024 });
    this.log.on('error', () => {}); // a full disk must not crash the server; tails and events still work
  }

  attach(stream: StreamName, source: Readable | null): void {
    if (!source) return;
    this.openStreams++;
    this.sources.push(source);
    this.names.set(source, stream);
    source.on('data', (data: Buffer) => this.take(stream, data));
    source.once('close', () => {
      if (--this.openStreams === 0) this.endedResolve();
    });
  }

  private take(stream: StreamName, data: Buffer): void {
    const time = Date.now();
    this.bytes[stream] += data.length;
    this.tails[stream].push(data);
    this.log.cork();
    this.log.write(frameHeader(stream, time, data.length));
    const more = this.log.write(data);
    this.log.uncork();
    if (!more) {
      for (const s of this.sources) s.pause();
      this.log.once('drain', () => this.sources.forEach((s) => s.resume()));
    }
    this.onChunk({ stream, time, data });
  }

  text(stream: StreamName): CapturedText {
    const tail = this.tails[stream];
    return { text: tail.text(), truncated: tail.truncated, bytes: this.bytes[stream] };
  }

  /**
   * Waits for both pipes to close, but at most `drainMs`: a stray process may
   * hold the write end open forever, and a stop must not wait for it.
   */
  async finish(drainMs: number): Promise<void> {
    if (this.openStreams > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)))]);
      clearTimeout(timer);
      for (const source of this.sources) {
        // Chunks held back by log backpressure are still ours to keep.
        for (let chunk = source.read() as Buffer | null; chunk !== null; chunk = source.read() as Buffer | null) {
          this.take(this.names.get(source)!, chunk);
        }
        source.destroy();
      }
    }
    await new Promise<void>((resolve) => this.log.end(resolve));
  }
}
