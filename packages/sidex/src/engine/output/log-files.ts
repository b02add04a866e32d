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
export function openStdioFiles(base: string): { files: Record<StreamName, string>; fds: Record<StreamName, number> } {
  const files = { stdout: `${base}.out`, stderr: `${base}.err` };
  return { files, fds: openPair(files, 'a', 0o600) };
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

/** Hands a runtime's output files to its execution: a rename keeps the child's open descriptors valid. */
export function claimStdioFiles(from: Record<StreamName, string>, to: LogFiles): void {
  fs.renameSync(from.stdout, to.stdout);
  fs.renameSync(from.stderr, to.stderr);
}
