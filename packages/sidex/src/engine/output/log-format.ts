// One log file per execution holds stdout and stderr interleaved in arrival
// order: frames of [stream u8][epoch ms f64][length u32][bytes].
export type StreamName = 'stdout' | 'stderr';

export const HEADER_BYTES = 13;

export interface LogFrame {
  stream: StreamName;
  time: number;
  data: Buffer;
}

export function frameHeader(stream: StreamName, time: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt8(stream === 'stdout' ? 1 : 2, 0);
  header.writeDoubleLE(time, 1);
  header.writeUInt32LE(length, 9);
  return header;
}

/** Parses whole frames from `buffer`; returns them and how many bytes they used. */
export function parseFrames(buffer: Buffer): { frames: LogFrame[]; used: number } {
  const frames: LogFrame[] = [];
  let offset = 0;
  while (buffer.length - offset >= HEADER_BYTES) {
    const length = buffer.readUInt32LE(offset + 9);
    if (buffer.length - offset - HEADER_BYTES < length) break;
    frames.push({
      stream: buffer.readUInt8(offset) === 1 ? 'stdout' : 'stderr',
      time: buffer.readDoubleLE(offset + 1),
      data: buffer.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length),
    });
    offset += HEADER_BYTES + length;
  }
  return { frames, used: offset };
}
