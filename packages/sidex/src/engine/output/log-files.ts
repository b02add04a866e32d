import fs from 'node:fs';
import path from 'node:path';
import type { StreamName } from './log-format.js';

/** Under the log directory, one directory per run: idle runtimes' output files (openStdioFiles). */
export const SPARE_OUTPUT_DIR = '.spare';

/** Where an execution's output lives: see log-format.ts. */
export interface LogFiles extends Record<StreamName, string> {
  index: string;
}

export function logFilesOf(logDir: string, id: string): LogFiles {
  return {
    stdout: path.join(logDir, `${id}.out`),
    stderr: path.join(logDir, `${id}.err`),
    index: path.join(logDir, `${id}.idx`),
  };
}

export function logFileList(files: LogFiles): string[] {
  return [files.index, files.stdout, files.stderr];
}

/**
 * The files a runtime's stdout and stderr point at from its spawn, before it
 * has an execution. The child writes them itself, so a flood never waits for
 * this process, a `process.exit()` loses nothing (writes to a file are
 * synchronous), and a supervisor killed mid-run loses nothing either.
 * O_APPEND, so the runtime and its children never overwrite each other.
 */
export function openStdioFiles(base: string): { files: LogFiles; fds: Record<StreamName, number> } {
  const files = { stdout: `${base}.out`, stderr: `${base}.err`, index: `${base}.idx` };
  return { files, fds: openPair(files, 'a', 0o600) };
}

/**
 * The index is the server's to write (OutputCapture), created with the output
 * files so that a start only renames it: on the cluster bench's throughput
 * phase (ext4, loaded) its creation at start took 0.65 ms of the server's
 * thread a start; a rename takes about 0.02 ms.
 */
export function openSpareIndex(file: string): number {
  return fs.openSync(file, 'w', 0o600);
}

/** Opens both files, or neither: a failure on the second closes the first. */
export function openPair(files: Record<StreamName, string>, flags: string, mode?: number): Record<StreamName, number> {
  const stdout = fs.openSync(files.stdout, flags, mode);
  try {
    return { stdout, stderr: fs.openSync(files.stderr, flags, mode) };
  } catch (err) {
    fs.closeSync(stdout);
    throw err;
  }
}

/** Hands a runtime's output files to its execution: a rename keeps the open descriptors (the child's, the index's) valid. */
export function claimStdioFiles(from: LogFiles, to: LogFiles, withIndex: boolean): void {
  fs.renameSync(from.stdout, to.stdout);
  fs.renameSync(from.stderr, to.stderr);
  if (withIndex) fs.renameSync(from.index, to.index);
}
