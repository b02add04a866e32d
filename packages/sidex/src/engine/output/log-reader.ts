import fs from 'node:fs/promises';
import { parseFrames, type LogFrame } from './log-format.js';

const READ_BYTES = 256 * 1024;

/**
 * Every frame of an execution's log, in order. With `more`, it follows the
 * file like `tail -f`: at the end of the file it awaits `more()`, which
 * resolves true when there may be new bytes and false when the log is final.
 */
export async function* readLog(file: string, more?: () => Promise<boolean>): AsyncGenerator<LogFrame> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return;
  }
  try {
    let offset = 0;
    let pending = Buffer.alloc(0);
    let final = more === undefined;
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, READ_BYTES, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        pending = pending.length ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        const { frames, used } = parseFrames(pending);
        yield* frames;
        pending = pending.subarray(used);
        continue;
      }
      if (final || !more) return;
      // One more pass after the writer is done, for the bytes it flushed last.
      final = !(await more());
    }
  } finally {
    await handle.close();
  }
}
