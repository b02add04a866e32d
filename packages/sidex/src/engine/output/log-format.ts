// An execution's output on disk is three files: what it wrote to stdout and to
// stderr, byte for byte, each in a file of its own that the child writes
// directly, and an index that records when each stretch of those bytes was
// seen, which restores their interleaving. Index entries are
// [stream u8][epoch ms f64][end offset f64]: the stretch of the stream's file
// that ends at that offset was seen at that time.
export type StreamName = 'stdout' | 'stderr';

export const STREAMS: readonly StreamName[] = ['stdout', 'stderr'];

export const ENTRY_BYTES = 17;

export interface IndexEntry {
  stream: StreamName;
  time: number;
  end: number;
}

export interface LogFrame {
  stream: StreamName;
  time: number;
  data: Buffer;
}

export function indexEntry(stream: StreamName, time: number, end: number): Buffer {
  const entry = Buffer.allocUnsafe(ENTRY_BYTES);
  entry.writeUInt8(stream === 'stdout' ? 1 : 2, 0);
  entry.writeDoubleLE(time, 1);
  entry.writeDoubleLE(end, 9);
  return entry;
}

/** Parses whole entries from `buffer`; returns them and how many bytes they used. */
export function parseIndex(buffer: Buffer): { entries: IndexEntry[]; used: number } {
  const entries: IndexEntry[] = [];
  let offset = 0;
  for (; buffer.length - offset >= ENTRY_BYTES; offset += ENTRY_BYTES) {
    entries.push({
      stream: buffer.readUInt8(offset) === 1 ? 'stdout' : 'stderr',
      time: buffer.readDoubleLE(offset + 1),
      end: buffer.readDoubleLE(offset + 9),
    });
  }
  return { entries, used: offset };
}
