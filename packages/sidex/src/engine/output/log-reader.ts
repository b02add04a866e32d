import fs from 'node:fs/promises';
import { parseIndex, STREAMS, type IndexEntry, type LogFrame, type StreamName } from './log-format.js';
import type { LogFiles } from './log-files.js';

const READ_BYTES = 256 * 1024;

type Handles = Record<StreamName | 'index', fs.FileHandle | undefined>;

/**
 * Every frame of an execution's log, in the order it was seen. With `more`, it
 * follows the log like `tail -f`: at the end of the index it awaits `more()`,
 * which resolves true when there may be new output and false when the log is
 * final. Bytes no index entry covers (the index is written behind the output,
 * so a supervisor killed mid-run may not have recorded the last stretch; or it
 * could not be created at all) come last, stamped with their file's
 * modification time. A follower may start before the files exist (the
 * execution is queued, or its index is still being opened): they are looked
 * for again at every pass.
 */
export async function* readLog(files: LogFiles, more?: () => Promise<boolean>): AsyncGenerator<LogFrame> {
  const handles: Handles = { index: undefined, stdout: undefined, stderr: undefined };
  await openMissing(files, handles);
  if (!more && !handles.index && !handles.stdout && !handles.stderr) return;
  try {
    const read = { stdout: 0, stderr: 0 };
    let offset = 0;
    let pending = Buffer.alloc(0);
    let final = more === undefined;
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_BYTES);
      const { bytesRead } = handles.index ? await handles.index.read(chunk, 0, READ_BYTES, offset) : { bytesRead: 0 };
      if (bytesRead > 0) {
        offset += bytesRead;
        pending = pending.length ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        const { entries, used } = parseIndex(pending);
        pending = pending.subarray(used);
        for (const entry of entries) {
          yield* stretch(handles[entry.stream], entry, read[entry.stream]);
          read[entry.stream] = Math.max(read[entry.stream], entry.end);
        }
        continue;
      }
      if (final || !more) break;
      // One more pass after the writer is done, for the entries it wrote last.
      final = !(await more());
      await openMissing(files, handles);
    }
    for (const stream of STREAMS) {
      const handle = handles[stream];
      if (!handle) continue;
      const { size, mtimeMs } = await handle.stat();
      if (size > read[stream]) yield* stretch(handle, { stream, time: mtimeMs, end: size }, read[stream]);
    }
  } finally {
    await Promise.all(Object.values(handles).map((h) => h?.close()));
  }
}

async function openMissing(files: LogFiles, handles: Handles): Promise<void> {
  for (const name of ['index', ...STREAMS] as const) handles[name] ??= await fs.open(files[name], 'r').catch(() => undefined);
}

/** The bytes of one index entry, from where the stream was read up to, in frames of at most READ_BYTES. */
async function* stretch(handle: fs.FileHandle | undefined, entry: IndexEntry, from: number): AsyncGenerator<LogFrame> {
  if (!handle) return;
  for (let at = from; at < entry.end; ) {
    const data = Buffer.allocUnsafe(Math.min(READ_BYTES, entry.end - at));
    const { bytesRead } = await handle.read(data, 0, data.length, at);
    if (bytesRead === 0) return;
    at += bytesRead;
    yield { stream: entry.stream, time: entry.time, data: data.subarray(0, bytesRead) };
  }
}
