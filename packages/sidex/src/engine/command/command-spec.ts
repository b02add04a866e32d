// What a command start must be before anything is written or spawned: the
// engine's half of the checks (the services parse the wire fields first).
import fs from 'node:fs';
import path from 'node:path';
import { SidexError } from '../../errors.js';
import { within } from '../sandbox/mount-plan.js';

/** Most bytes of stdin given with a start (base64 makes them a third larger on the wire: within every transport's frame). */
export const MAX_START_STDIN_BYTES = 8 * 1024 * 1024;
/** Most bytes of one stdin write. */
export const MAX_STDIN_WRITE_BYTES = 8 * 1024 * 1024;
/** Most bytes written to a command's stdin that its program has not taken yet: beyond, a write is refused (STDIN_FULL). */
export const MAX_STDIN_PENDING_BYTES = 16 * 1024 * 1024;
/** Most arguments, and bytes of them all: far under the kernel's ARG_MAX. */
export const MAX_ARGS = 4096;
export const MAX_ARGV_BYTES = 1024 * 1024;

export interface CommandSpec {
  argv?: string[] | undefined;
  cwd?: string | undefined;
  stdin?: { data?: Buffer; open?: boolean } | undefined;
}

const invalid = (field: string, message: string) => new SidexError('INVALID_ARGUMENT', `${field}: ${message}`, { field });

/**
 * argv: a program and its arguments, strings without NUL; cwd: an existing
 * directory, absolute (the services confine it to the allowed roots), never
 * inside a path the sandbox hides (the data directory). Without `hidden`, the
 * cwd is not this machine's to check (a cluster's server: its worker does).
 */
export function checkCommand(spec: CommandSpec, hidden: readonly string[] | undefined): void {
  const { argv, cwd, stdin } = spec;
  if (!Array.isArray(argv) || argv.length === 0) throw invalid('command', 'must be a non-empty array: the program, then its arguments');
  if (argv.length > MAX_ARGS) throw invalid('command', `must have at most ${MAX_ARGS} elements (got ${argv.length})`);
  let bytes = 0;
  argv.forEach((arg, i) => {
    if (typeof arg !== 'string') throw invalid(`command[${i}]`, 'must be a string');
    if (arg.includes('\0')) throw invalid(`command[${i}]`, 'must not contain a NUL character');
    bytes += Buffer.byteLength(arg) + 1;
  });
  if (argv[0] === '') throw invalid('command[0]', 'the program must not be empty');
  if (bytes > MAX_ARGV_BYTES) throw invalid('command', `must be at most ${MAX_ARGV_BYTES} bytes in all (got ${bytes})`);
  if (cwd !== undefined && hidden) checkCwd(cwd, hidden);
  if (stdin?.data && stdin.data.length > MAX_START_STDIN_BYTES) {
    throw new SidexError('STDIN_TOO_LARGE', `stdin: at most ${MAX_START_STDIN_BYTES} bytes may be given with a start (got ${stdin.data.length}); write the rest once it runs`, {
      field: 'stdin',
      limit: MAX_START_STDIN_BYTES,
    });
  }
}

function checkCwd(cwd: string, hidden: readonly string[]): void {
  if (!path.isAbsolute(cwd)) throw invalid('cwd', `must be an absolute path (got "${cwd}")`);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(cwd);
  } catch {
    throw new SidexError('CWD_NOT_FOUND', `cwd: no directory "${cwd}"`, { field: 'cwd', path: cwd });
  }
  if (!stat.isDirectory()) throw new SidexError('CWD_NOT_FOUND', `cwd: "${cwd}" is not a directory`, { field: 'cwd', path: cwd });
  const real = fs.realpathSync(cwd);
  if (hidden.some((h) => within(real, realOrSelf(h)))) {
    throw new SidexError('PATH_OUTSIDE_ROOTS', `cwd: "${cwd}" lies in the server's data directory, which executions never see`, { field: 'cwd', path: cwd });
  }
}

function realOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
