// A command execution, inside the runtime: the runtime stays the program's
// parent (so the warm pool, the sandbox, the limits and the stop protocol all
// apply unchanged) and execs argv directly, no shell. The program writes
// straight to the runtime's stdout and stderr, which are the execution's log
// files: its bytes are kept exactly, and the runtime never copies them.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ErrorInfo, StdinStart } from './messages.js';

export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningCommand {
  readonly exited: Promise<ProgramExit>;
  /** More bytes for an open stdin, and/or its end; `written` is told how many bytes left this process. */
  writeStdin(base64: string | undefined, close: boolean): void;
}

export type CommandStart = { ok: true; command: RunningCommand } | { ok: false; error: ErrorInfo };

/**
 * Resolves once the program has been exec'd (Node's 'spawn' event: libuv
 * reports a failed exec before it) or has failed to be, with the path tried.
 */
export function startCommand(argv: string[], cwd: string, env: NodeJS.ProcessEnv, stdin: StdinStart | undefined, written: (bytes: number) => void): Promise<CommandStart> {
  const [program = '', ...args] = argv;
  let child: ChildProcess;
  try {
    child = spawn(program, args, { cwd, env, stdio: [stdin ? 'pipe' : 'ignore', 1, 2] });
  } catch (err) {
    return Promise.resolve({ ok: false, error: spawnError(err as NodeJS.ErrnoException, program, cwd, env.PATH) });
  }
  const exited = new Promise<ProgramExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const input = child.stdin;
  // A program that exits without reading its stdin breaks the pipe: the bytes are dropped, nothing crashes.
  input?.on('error', () => {});
  const writeStdin = (base64: string | undefined, close: boolean) => {
    if (!input || input.writableEnded) return;
    const data = base64 ? Buffer.from(base64, 'base64') : undefined;
    if (data?.length) input.write(data, () => written(data.length));
    if (close) input.end();
  };
  return new Promise((resolve) => {
    child.once('spawn', () => {
      writeStdin(stdin?.base64, !stdin?.open);
      resolve({ ok: true, command: { exited, writeStdin } });
    });
    child.once('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: spawnError(err, program, cwd, env.PATH) }));
  });
}

function enterable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function spawnError(err: NodeJS.ErrnoException, program: string, cwd: string, searchPath: string | undefined): ErrorInfo {
  // A missing working directory fails the exec with ENOENT too.
  if (err.code === 'ENOENT' && missing(cwd)) {
    return { code: 'CWD_NOT_FOUND', message: `cwd: no directory "${cwd}" inside the execution's view of the file system (a sandbox sees only the allowed roots, the system and its scratch directory)`, path: cwd };
  }
  const tried = triedPath(program, cwd, searchPath);
  if (err.code === 'ENOENT') {
    const where = program.includes('/') ? `"${tried}"` : `"${program}" in PATH (${searchPath ?? 'unset'})`;
    return { code: 'COMMAND_NOT_FOUND', message: `command not found: no file ${where}`, path: tried };
  }
  // A working directory the execution's user may not enter fails the exec with EACCES too.
  if (err.code === 'EACCES' && !enterable(cwd)) {
    return { code: 'CWD_NOT_ACCESSIBLE', message: `cwd: the execution may not enter "${cwd}" (its user lacks search permission there; a sandbox under a root server runs as an unprivileged user)`, path: cwd };
  }
  if (err.code === 'EACCES') {
    return { code: 'COMMAND_NOT_EXECUTABLE', message: `command not executable: "${tried}" may not be executed (permission denied, or a directory)`, path: tried };
  }
  return { code: 'SPAWN_FAILED', message: `command "${program}" could not be started: ${err.message}`, path: tried };
}

/**
 * The file exec looked at: the program itself when it names a path (relative
 * to cwd), else the first file of that name in PATH, as execvp tries them;
 * the bare name when there is none.
 */
export function triedPath(program: string, cwd: string, searchPath: string | undefined): string {
  if (program.includes('/')) return path.resolve(cwd, program);
  for (const dir of (searchPath ?? '').split(':')) {
    const candidate = path.resolve(cwd, dir || '.', program);
    if (fs.existsSync(candidate)) return candidate;
  }
  return program;
}

function missing(dir: string): boolean {
  try {
    fs.statSync(dir);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
