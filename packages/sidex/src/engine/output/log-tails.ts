import fs from 'node:fs/promises';
import { STREAMS, type StreamName } from './log-format.js';
import type { LogFiles } from './log-files.js';
import { emptyOutput, type StreamText } from '../../model/record.js';
import { TailBuffer } from './tail-buffer.js';

/**
 * The tails a status reply shows, read from the end of each output file: they
 * hold everything written up to a crash, whether or not anyone read it then.
 * Undefined when the execution never had output files.
 */
export async function tailsFromLog(files: LogFiles, tailBytes: number): Promise<Record<StreamName, StreamText> | undefined> {
  const texts = emptyOutput();
  let found = false;
  for (const stream of STREAMS) {
    const handle = await fs.open(files[stream], 'r').catch(() => undefined);
    if (!handle) continue;
    found = true;
    try {
      const { size } = await handle.stat();
      // One byte more than the tail holds, when there is more: the tail then knows it was cut.
      const data = Buffer.alloc(Math.min(size, tailBytes + 1));
      await handle.read(data, 0, data.length, size - data.length);
      const tail = new TailBuffer(tailBytes);
      tail.push(data);
      texts[stream] = tail.streamText(size);
    } finally {
      await handle.close();
    }
  }
  return found ? texts : undefined;
}
