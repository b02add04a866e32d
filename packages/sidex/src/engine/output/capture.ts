import fs from 'node:fs';
import type { StreamText } from '../../model/record.js';
import { claimStdioFiles, openPair, openSpareIndex, type LogFiles } from './log-files.js';
import { indexEntry, STREAMS, type StreamName } from './log-format.js';
import { TailBuffer } from './tail-buffer.js';

export interface OutputChunk {
  stream: StreamName;
  time: number;
  data: Buffer;
}

/** Bytes read in one turn of the event loop: a flood must not hold it. */
const TURN_BYTES = 4 * 1024 * 1024;
const READ_BYTES = 1024 * 1024;
/** Where the file system cannot watch files, new output is looked for this often. */
const POLL_MS = 100;
/**
 * A change seen this soon after the last read waits for the rest of it. Each
 * read writes an index entry per stream that grew (17 bytes), so a program
 * alternating tiny writes to stdout and stderr wrote 17 times its output in
 * index (1 byte each per millisecond: 29 KB of index a second), which the
 * output limit does not count; at most one read per gap bounds that to 1.7 KB
 * a second. Output after a quiet moment is still read at once.
 */
const READ_GAP_MS = 20;
const EMPTY = Buffer.alloc(0);

/**
 * Follows the output files a child writes directly (log-files.ts): each new
 * stretch goes to the bounded tails, the live listener and the index. It reads
 * behind the child, never in its way: the child does not wait for this process.
 * It opens and watches a runtime's files when the runtime is spawned, so that
 * a start only renames them and calls begin().
 */
export class OutputCapture {
  private tails = { stdout: new TailBuffer(0), stderr: new TailBuffer(0) };
  /** Bytes of each file read so far: also where the next read starts. */
  private readonly bytes = { stdout: 0, stderr: 0 };
  /** Sizes of the files when last looked at: ahead of what is read during a flood. */
  private readonly sizes = { stdout: 0, stderr: 0 };
  private readonly fds: Record<StreamName, number>;
  private index: fs.WriteStream | undefined;
  /** The index file's descriptor until an execution claims the files; undefined if it could not be created. */
  private spareIndex: number | undefined;
  private onChunk: ((chunk: OutputChunk) => void) | undefined;
  private readonly watchers: fs.FSWatcher[] = [];
  private poller: NodeJS.Timeout | undefined;
  /** When a read last found output: a change within READ_GAP_MS of it waits for the gap's end. */
  private lastFound = 0;
  private gapTimer: NodeJS.Timeout | undefined;
  private turnScheduled = false;
  /** Nothing more is read: the execution ended, or no execution claimed the files. */
  private finished = false;
  private closed = false;
  private ending: Promise<void> | undefined;

  /** `files`: where the runtime's stdout and stderr are, and where its index goes; renaming them later does not matter. */
  constructor(readonly files: LogFiles) {
    this.fds = openPair(files, 'r');
    try {
      this.spareIndex = openSpareIndex(files.index);
    } catch {
      // No index: logs() still gives every byte of the output files, in one stretch each.
    }
    try {
      for (const stream of STREAMS) {
        const watcher = fs.watch(files[stream], { persistent: false }, () => this.changed());
        watcher.on('error', () => this.poll());
        this.watchers.push(watcher);
      }
    } catch {
      this.poll(); // out of inotify watches, or a file system that cannot watch
    }
  }

  /** An execution claims the files (renamed to `to`): from here on, its output goes to its tails, its index and `onChunk`. */
  begin(to: LogFiles, tailBytes: number, onChunk: (chunk: OutputChunk) => void): void {
    claimStdioFiles(this.files, to, this.spareIndex !== undefined);
    const fd = this.spareIndex;
    this.spareIndex = undefined; // the stream's now: it closes it when it ends
    this.tails = { stdout: new TailBuffer(tailBytes), stderr: new TailBuffer(tailBytes) };
    this.onChunk = onChunk;
    if (fd !== undefined) {
      // In place before the start answers, so a follower can read it.
      this.index = fs.createWriteStream(to.index, { fd });
      this.index.on('error', () => {}); // a full disk must not crash the server; the output files hold every byte anyway
    }
    this.pull(); // what the runtime wrote before it had this execution
  }

  /** Resolves once every index entry taken so far is in the file, where a log follower reads it. */
  indexed(): Promise<void> {
    const index = this.index;
    if (!index || index.writableLength === 0 || index.writableEnded) return Promise.resolve();
    return new Promise((resolve) => index.write(EMPTY, () => resolve()));
  }

  /** Bytes of stdout and stderr together, read so far. */
  get totalBytes(): number {
    return this.bytes.stdout + this.bytes.stderr;
  }

  /** Bytes of stdout and stderr together as far as known: written, if not yet read. */
  get seenBytes(): number {
    return Math.max(this.totalBytes, this.sizes.stdout + this.sizes.stderr);
  }

  text(stream: StreamName): StreamText {
    return this.tails[stream].streamText(this.bytes[stream]);
  }

  /** Lets go of the files, read to the end (finish) or not (a runtime no execution claimed). */
  close(): void {
    this.finished = true;
    if (this.closed) return;
    this.closed = true;
    for (const watcher of this.watchers) watcher.close();
    clearInterval(this.poller);
    clearTimeout(this.gapTimer);
    for (const stream of STREAMS) fs.closeSync(this.fds[stream]);
    if (this.spareIndex !== undefined) fs.closeSync(this.spareIndex);
    this.spareIndex = undefined;
  }

  /**
   * Once the execution's processes are dead: reads what is left and ends the
   * index. The descriptors and watches go with close(), which the runtime's
   * letGo calls once the end has been answered (~0.1 ms of a stop here).
   */
  finish(): Promise<void> {
    this.ending ??= this.readToEnd();
    return this.ending;
  }

  private async readToEnd(): Promise<void> {
    const index = this.index;
    if (this.finished || !index) return this.close();
    const ends = { stdout: fs.fstatSync(this.fds.stdout).size, stderr: fs.fstatSync(this.fds.stderr).size };
    // Up to the sizes seen now: a stray writer that outlived its tree cannot keep the end waiting.
    while (this.readTurn(ends)) await new Promise((resolve) => setImmediate(resolve));
    this.finished = true;
    await new Promise<void>((resolve) => index.end(resolve));
  }

  private poll(): void {
    if (this.poller || this.finished) return;
    this.poller = setInterval(() => this.pull(), POLL_MS);
    this.poller.unref();
  }

  /** A file changed: read now, or once READ_GAP_MS have passed since a read last found output. */
  private changed(): void {
    const wait = this.lastFound + READ_GAP_MS - Date.now();
    if (wait <= 0) return this.pull();
    this.gapTimer ??= setTimeout(() => {
      this.gapTimer = undefined;
      this.pull();
    }, wait);
  }

  private pull(): void {
    if (this.finished || this.turnScheduled || !this.onChunk) return;
    const before = this.totalBytes;
    let more: boolean;
    try {
      more = this.readTurn();
    } catch {
      return; // an I/O error on a log file: the next change, or finish(), tries again
    }
    // Only a read that found output opens a gap: the first write after a start or a quiet moment is read at once.
    if (this.totalBytes > before) this.lastFound = Date.now();
    if (more) {
      // More is waiting: the next turn reads it, after whatever else is due.
      this.turnScheduled = true;
      setImmediate(() => {
        this.turnScheduled = false;
        this.pull();
      });
    }
  }

  /** Reads what is new, at most TURN_BYTES; true when more may be waiting. */
  private readTurn(ends?: Record<StreamName, number>): boolean {
    let budget = TURN_BYTES;
    for (const stream of STREAMS) {
      const fd = this.fds[stream];
      const end = ends?.[stream] ?? fs.fstatSync(fd).size;
      this.sizes[stream] = Math.max(this.sizes[stream], end);
      while (this.bytes[stream] < end && budget > 0) {
        const want = Math.min(end - this.bytes[stream], READ_BYTES, budget);
        const data = Buffer.allocUnsafe(want);
        const read = fs.readSync(fd, data, 0, want, this.bytes[stream]);
        if (read === 0) break;
        budget -= read;
        this.take(stream, read < want ? data.subarray(0, read) : data);
      }
    }
    return budget <= 0;
  }

  private take(stream: StreamName, data: Buffer): void {
    const time = Date.now();
    this.bytes[stream] += data.length;
    this.tails[stream].push(data);
    this.index?.write(indexEntry(stream, time, this.bytes[stream]));
    this.onChunk?.({ stream, time, data });
  }
}
