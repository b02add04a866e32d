import fs from 'node:fs';
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { followToEnd } from '../follow.js';
import { stopOptions } from '../stop-replies.js';
import { parseJsonObject, parseMs } from '../parse-options.js';
import { withClient } from '../remote.js';
import { failed, remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';

interface StartFlags extends RemoteFlags {
  code?: string;
  file?: string;
  block?: string;
  params?: Record<string, unknown>;
  timeout?: number;
  name?: string;
  wait?: boolean;
}

export function registerStart(program: Command): void {
  remoteCommand(program, 'start', 'start inline code or an action block on the server; prints its id')
    .option('--code <js>', 'inline JavaScript (the body of an async function)')
    .option('--file <path>', 'a file of inline JavaScript, or - for stdin')
    .option('--block <path>', 'an action block directory')
    .option('--params <json>', 'params as a JSON object', parseJsonObject)
    .option('--timeout <ms>', 'stop it after this many milliseconds of running', parseMs)
    .option('--name <name>', 'a name to find it by (sidex ls --name / --search)')
    .option('--wait', "follow it to its end as sidex run does: its output streamed, Ctrl-C stops it (twice forces), the exit code tells how it ended")
    .action(async (flags: StartFlags) => {
      process.exitCode = await start(flags);
    });
}

async function start(flags: StartFlags): Promise<number> {
  const ui = uiFor(flags);
  const given = [flags.code, flags.file, flags.block].filter((v) => v !== undefined).length;
  if (given !== 1) {
    ui.error('give exactly one of --code, --file or --block', 'INVALID_ARGUMENT');
    return EXIT.usage;
  }
  let code = flags.code;
  if (flags.file !== undefined) {
    try {
      code = fs.readFileSync(flags.file === '-' ? 0 : flags.file, 'utf8');
    } catch (err) {
      ui.error(`cannot read ${flags.file}: ${(err as Error).message}`, 'INVALID_ARGUMENT');
      return EXIT.usage;
    }
  }
  // Code from a file is called by its name in its errors.
  const filename = flags.file !== undefined && flags.file !== '-' ? flags.file : undefined;
  const source = code !== undefined ? { name: filename ?? 'inline', code } : undefined;
  const named = { ...(flags.name !== undefined ? { name: flags.name } : {}), ...(filename !== undefined ? { filename } : {}) };
  const options = Object.keys(named).length > 0 ? named : undefined;
  return withClient(flags, ui, async (client) => {
    const api = client.sideExecution;
    const started = await ui.during(
      'starting',
      code !== undefined
        ? api.startWithCode(code, flags.params, flags.timeout, options)
        : api.startWithActionBlock(flags.block!, flags.params, flags.timeout, options),
    );
    if (!started.success) return failed(ui, started, source);
    const id = started.sideExecutionId;
    if (!flags.wait) {
      ui.started(id, started.status, started.data);
      return EXIT.completed;
    }
    if (!ui.json) process.stderr.write(`${ui.dim(`started ${id}`)}\n`);
    return followToEnd(ui, client, id, (force) => void api.stop(id, stopOptions({ force })), source);
  });
}
