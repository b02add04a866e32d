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
  const stdout = fs.openSync(files.stdout, 'a', 0o600);
  try {
    return { files, fds: { stdout, stderr: fs.openSync(files.stderr, 'a', 0o600) } };
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
