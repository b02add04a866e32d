import fs from 'node:fs';
import type { Command } from 'commander';
import type { OutputEvent } from 'sidex';
import { EXIT } from '../exit-codes.js';
import { syntaxErrorFrame, type UserSource } from '../code-frame.js';
import { reportEnd } from '../final-status.js';
import { stopOptions } from '../stop-replies.js';
import { passOutput, Ui } from '../ui.js';
import { parseJsonObject, parseMemoryMb, parseMs, parsePositive } from '../parse-options.js';
import { stopOnInterrupt } from '../interrupts.js';
import { forgetEmbeddedRun, placeOf } from '../run-place.js';
import { limitOptions, runRemote, type RemoteRun } from './run-remote.js';

interface RunOptions extends Omit<RemoteRun, 'code'> {
  dataDir?: string;
  url?: string;
  embedded?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a JavaScript file (or stdin, "-") as inline code and stream its output: on the server of --url / SIDEX_URL, else on a server answering at the default address (http://127.0.0.1:5565, or SIDEX_HOST/SIDEX_PORT), else on an embedded engine (--embedded forces it). Ctrl-C stops it, a second Ctrl-C forces the stop')
    .argument('<file>', 'file whose contents are the body of an async function, or - for stdin')
    .option('--params <json>', 'params as a JSON object; each key is in scope by name', parseJsonObject)
    .option('--timeout <ms>', 'stop it after this many milliseconds', parseMs)
    .option('--grace <ms>', 'grace period of a stop before SIGKILL', parseMs)
    .option('--memory <mb>', 'memory limit of the whole process tree, MB (32 at least)', parseMemoryMb)
    .option('--max-output <mb>', 'most output (stdout and stderr together) it may write, MB (default 1024)', parsePositive)
    .option('--json', 'print the final status as JSON instead of the result')
    .option('--data-dir <dir>', "data directory: a local server's, whose API key is used; embedded, where scratch and logs go (default ~/.local/state/sidex)")
    .option('--url <url>', 'run on this server (env SIDEX_URL)')
    .option('--embedded', 'run on an engine inside this process even when a server answers')
    .action(async (file: string, options: RunOptions) => {
      process.exitCode = await run(file, options);
    });
}

async function run(file: string, options: RunOptions): Promise<number> {
  let code: string;
  try {
    code = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`sidex: cannot read ${file}: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  // What the code's errors call it: the file as given; code from stdin is "inline", as for code with no file.
  const source: UserSource = { name: file === '-' ? 'inline' : file, code };
  const filename = file === '-' ? undefined : file;
  const place = await placeOf(options);
  if ('remote' in place) return runRemote({ ...options, code, ...(filename ? { filename } : {}) }, place.remote);
  const { dataDir } = place;
  const { Sidex } = await import('sidex'); // the engine only when run embedded
  const sidex = new Sidex({
    dataDir,
    engine: { poolSize: 0, ...(options.grace !== undefined ? { defaultGraceMs: options.grace } : {}) },
  });
  const api = sidex.sideExecution;
  let id: string | undefined;
  // Output can arrive before the start call has answered with the id.
  const early: OutputEvent[] = [];
  const print = (e: OutputEvent) => passOutput(e.stream, e.data);
  sidex.engine.on('output', (e) => {
    if (id === undefined) early.push(e);
    else if (e.id === id) print(e);
  });
  const stopListening = stopOnInterrupt((force) => {
    if (id === undefined) return false;
    void api.stop(id, stopOptions({ force }));
    return true;
  });
  try {
    const started = await api.startWithCode(code, options.params, options.timeout, { ...limitOptions(options), ...(filename ? { filename } : {}) });
    if (!started.success) {
      process.stderr.write(`${syntaxErrorFrame(started, source) ?? ''}sidex: ${started.error} [${started.code}]\n`);
      return started.code === 'SPAWN_FAILED' ? EXIT.failed : EXIT.usage;
    }
    id = started.sideExecutionId;
    for (const e of early.splice(0)) if (e.id === id) print(e);
    const done = await api.wait(id);
    if (!done.success) {
      process.stderr.write(`sidex: ${done.error}\n`);
      return EXIT.failed;
    }
    return reportEnd(new Ui(Boolean(options.json)), done, source);
  } finally {
    stopListening();
    await sidex.close({ graceMs: 1000 });
    forgetEmbeddedRun(sidex, id);
  }
}
