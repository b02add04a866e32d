import type { StreamText } from '../../model/record.js';

/** The last `capacity` bytes of a stream, for status replies. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Status replies read the tail far more often than it changes. */
  private cached: string | undefined;
  truncated = false;

  constructor(private readonly capacity: number) {}

  push(chunk: Buffer): void {
    this.cached = undefined;
    if (chunk.length >= this.capacity) {
      this.truncated ||= this.size > 0 || chunk.length > this.capacity;
      this.chunks = [chunk.subarray(chunk.length - this.capacity)];
      this.size = this.capacity;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.capacity) {
      const head = this.chunks[0]!;
      const excess = this.size - this.capacity;
      this.truncated = true;
      if (head.length <= excess) {
        this.chunks.shift();
        this.size -= head.length;
      } else {
        this.chunks[0] = head.subarray(excess);
        this.size -= excess;
      }
    }
  }

  /** What a record keeps of the stream: the tail's text, and `bytes` written in all. */
  streamText(bytes: number): StreamText {
    return { text: this.text(), truncated: this.truncated, bytes };
  }

  text(): string {
    this.cached ??= this.decode();
    return this.cached;
  }

  private decode(): string {
    let bytes = Buffer.concat(this.chunks, this.size);
    // A cut may land inside a UTF-8 sequence: skip its continuation bytes.
    if (this.truncated) {
      let start = 0;
      while (start < bytes.length && start < 3 && (bytes[start]! & 0xc0) === 0x80) start++;
      bytes = bytes.subarray(start);
    }
    return bytes.toString('utf8');
  }
}
