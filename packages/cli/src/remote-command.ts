import type { Command } from 'commander';
import type { FailReply } from '@sidex/client';
import { exitForCode, type RemoteOptions } from './remote.js';
import { syntaxErrorFrame, type UserSource } from './code-frame.js';
import { Ui } from './ui.js';

export interface RemoteFlags extends RemoteOptions {
  json?: boolean;
}

/** A command that talks to a server: `--url`, `--data-dir` (for a local server's key) and `--json`. */
export function remoteCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('--url <url>', 'server URL (env SIDEX_URL; default http://127.0.0.1:5565)')
    .option('--data-dir <dir>', 'data directory of a local server, whose API key is used when SIDEX_API_KEY is unset (default ./.sidex)')
    .option('--json', 'output for scripts: JSON, one object per line');
}

export const uiFor = (flags: RemoteFlags) => new Ui(Boolean(flags.json));

/** Reports a failed reply and returns the exit code it implies; a syntax error in `source` with the line it is on. */
export function failed(ui: Ui, reply: FailReply, source?: UserSource): number {
  const frame = !ui.json && source && syntaxErrorFrame(reply, source);
  if (frame) process.stderr.write(frame);
  ui.error(reply.error, reply.code);
  return exitForCode(reply.code);
}
