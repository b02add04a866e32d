import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CommandOptions, NetworkOption, Reply, StatusFields } from '@sidex/client';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { stopOnInterrupt } from '../interrupts.js';
import { parseMemoryMb, parseMs } from '../parse-options.js';
import { withClient } from '../remote.js';
import { forgetEmbeddedRun, placeOf } from '../run-place.js';
import { failed } from '../remote-command.js';
import { passOutput, Ui } from '../ui.js';
import { embeddedTarget, remoteTarget, type ExecTarget } from './exec-target.js';

interface ExecFlags {
  timeout?: number;
  grace?: number;
  memory?: number;
  network?: 'all' | 'none';
  cwd?: string;
  detach?: boolean;
  stdin: boolean;
  env?: Record<string, string>;
  json?: boolean;
  dataDir?: string;
  url?: string;
  embedded?: boolean;
}

/** Shell conventions for a program that could not be run. */
const NOT_FOUND_EXIT = 127;
const NOT_EXECUTABLE_EXIT = 126;
/** A stdin write the program has not caught up with is tried again after this long. */
const STDIN_RETRY_MS = 50;

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description(
      'run a program (argv executed directly, no shell) as an execution and stream its output; ends with the program\'s own exit code. Runs where sidex run does: on the server of --url / SIDEX_URL, else on a server answering at the default address, else on an embedded engine (--embedded forces it). Ctrl-C stops it, a second Ctrl-C forces the stop',
    )
    .usage('[options] -- <program> [args...]')
    .argument('<program>', 'the program: a path, or a name looked up in PATH')
    .argument('[args...]', 'its arguments, passed as they are')
    .option('--timeout <ms>', 'stop it after this many milliseconds', parseMs)
    .option('--grace <ms>', 'grace period of a stop before SIGKILL', parseMs)
    .option('--memory <mb>', 'memory limit of the whole process tree, MB (32 at least)', parseMemoryMb)
    .addOption(new Option('--network <mode>', 'its sandbox\'s network (default: the server\'s)').choices(['all', 'none']))
    .option('--cwd <dir>', 'working directory, inside the server\'s allowed roots (default: the current directory)')
    .option('--env <name=value>', 'an environment variable for it (repeatable)', collectEnv)
    .option('--no-stdin', 'do not pass this terminal\'s stdin on (the program reads end of file at once)')
    .option('--detach', 'print its id alone and leave it running (on a server only)')
    .option('--json', 'print the final status (with --detach, the start reply) as JSON')
    .option('--data-dir <dir>', "data directory: a local server's, whose API key is used; embedded, where scratch and logs go (default ~/.local/state/sidex)")
    .option('--url <url>', 'run on this server (env SIDEX_URL)')
    .option('--embedded', 'run on an engine inside this process even when a server answers')
    .action(async (programName: string, args: string[], flags: ExecFlags) => {
      process.exitCode = await exec([programName, ...args], flags);
    });
}

function collectEnv(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('must be NAME=value');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

async function exec(argv: string[], flags: ExecFlags): Promise<number> {
  const ui = new Ui(Boolean(flags.json));
  const options: CommandOptions = {
    cwd: path.resolve(flags.cwd ?? '.'),
    ...(flags.env ? { env: flags.env } : {}),
    ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
    ...(flags.grace !== undefined ? { graceMs: flags.grace } : {}),
    ...(flags.memory ? { memoryLimitMb: flags.memory } : {}),
    ...(flags.network ? { network: flags.network as NetworkOption } : {}),
    ...(flags.stdin && !flags.detach ? { stdin: { open: true } } : {}),
  };
  const place = await placeOf(flags);
  if ('remote' in place) return withClient(place.remote, ui, (client) => follow(remoteTarget(client), argv, options, flags, ui));
  if (flags.detach) {
    ui.error('--detach leaves the program running on a server; on an embedded engine it would end with this process: start a server (sidex serve), or pass --url', 'INVALID_ARGUMENT');
    return EXIT.usage;
  }
  const { Sidex } = await import('sidex'); // the engine only when run embedded
  const sidex = new Sidex({ dataDir: place.dataDir, engine: { poolSize: 0 } });
  let id: string | undefined;
  try {
    return await follow(embeddedTarget(sidex), argv, options, flags, ui, (started) => (id = started));
  } finally {
    await sidex.close({ graceMs: 1000 });
    forgetEmbeddedRun(sidex, id);
  }
}

/** Starts it, passes stdin on and its output through, and ends as it ended. */
async function follow(target: ExecTarget, argv: string[], options: CommandOptions, flags: ExecFlags, ui: Ui, onStarted?: (id: string) => void): Promise<number> {
  const started = await target.start(argv, options);
  if (!started.success) {
    if (started.code === 'COMMAND_NOT_FOUND' || started.code === 'COMMAND_NOT_EXECUTABLE') {
      ui.error(started.error, started.code);
      return started.code === 'COMMAND_NOT_FOUND' ? NOT_FOUND_EXIT : NOT_EXECUTABLE_EXIT;
    }
    return failed(ui, started);
  }
  const id = started.sideExecutionId;
  onStarted?.(id);
  if (flags.detach) {
    ui.started(id, started.status, started.data);
    return EXIT.completed;
  }
  const stopListening = stopOnInterrupt((force) => {
    target.stop(id, { ...(options.graceMs !== undefined ? { graceMs: options.graceMs } : {}), ...(force ? { force: true } : {}) });
    return true;
  });
  const input = options.stdin ? passStdin(target, id) : undefined;
  try {
    for await (const frame of target.output(id)) passOutput(frame.stream, frame.data);
    return endOf(ui, await target.wait(id));
  } catch (err) {
    ui.error(`lost ${id}: ${(err as Error).message}`);
    return EXIT.unavailable;
  } finally {
    input?.stop();
    stopListening();
  }
}

/** This process's stdin, chunk by chunk, to the program's; its end closes the program's. */
function passStdin(target: ExecTarget, id: string): { stop(): void } {
  let stopped = false;
  const stdin = process.stdin;
  const pump = async () => {
    for await (const chunk of stdin as AsyncIterable<Buffer>) {
      if (stopped) return;
      if (!(await write(target, id, chunk, false))) return;
    }
    if (!stopped) await write(target, id, Buffer.alloc(0), true);
  };
  void pump().catch(() => {});
  return {
    stop() {
      stopped = true;
      stdin.destroy();
    },
  };
}

/** False once the program's stdin is gone (it ended, or closed it). */
async function write(target: ExecTarget, id: string, data: Buffer, close: boolean): Promise<boolean> {
  for (;;) {
    const reply = await target.writeStdin(id, data, close);
    if (reply.success) return true;
    if (reply.code !== 'STDIN_FULL') return false;
    await new Promise((resolve) => setTimeout(resolve, STDIN_RETRY_MS));
  }
}

/**
 * The program's own exit code; 128 + n when a signal ended it, as a shell
 * says; 124 for its timeout and 130 for a stop, as `sidex run` does.
 */
function endOf(ui: Ui, done: Reply<StatusFields>): number {
  if (!done.success) return failed(ui, done);
  if (ui.json) ui.print(done.data);
  if (done.status === 'completed') return EXIT.completed;
  if (done.status === 'timeout' || done.status === 'stopped') return exitCodeFor(done.status);
  if (!ui.json && done.failure && done.failure.code !== 'EXIT_CODE') {
    process.stderr.write(`sidex: ${ui.status(done.status)}: ${done.failure.message} [${done.failure.code}]\n`);
  }
  if (typeof done.exitCode === 'number') return done.exitCode;
  const signal = done.signal ? os.constants.signals[done.signal as NodeJS.Signals] : undefined;
  return signal ? 128 + signal : EXIT.failed;
}
