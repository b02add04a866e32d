import fs from 'node:fs';
import type { Command } from 'commander';
import { PipelineError, type TaskStatus } from '@sidex/client';
import { EXIT } from '../exit-codes.js';
import { parseMs, parsePositive } from '../parse-options.js';
import { countsLine } from '../progress-bar.js';
import { withPipelineClient } from '../pipeline-remote.js';
import { remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';
import type { Ui } from '../ui.js';
import { registerPipelineWatch } from './pipeline-watch.js';

interface UseFlags extends RemoteFlags {
  threads?: number;
  ttl?: number;
  token?: string;
  name?: string;
  drain?: number;
}

interface SendFlags extends RemoteFlags {
  file?: string;
  mime?: string;
  name?: string;
}

/** `sidex pipeline use|send|status|terminate|watch`: RocketRide pipelines on a server, over its DAP dialect. */
export function registerPipeline(program: Command): void {
  const group = program.command('pipeline').description('run RocketRide pipelines on a server: use, send, status, terminate, watch');

  remoteCommand(group, 'use', 'start a task running a pipeline file; prints its token')
    .argument('<file>', 'pipeline JSON ({components, source?}, or wrapped as {pipeline: {...}})')
    .option('--threads <n>', 'items processed at once (default 1)', parsePositive)
    .option('--ttl <seconds>', 'idle seconds before the task ends by itself; 0 never (default 3600)', parseMs)
    .option('--token <token>', 'a token of your own for the task')
    .option('--name <name>', 'a name for the task')
    .option('--drain <ms>', 'how long terminate lets items in progress finish (default 30000)', parseMs)
    .action(async (file: string, flags: UseFlags) => {
      const ui = uiFor(flags);
      if (!fs.existsSync(file)) {
        ui.error(`file: ${file} does not exist`, 'INVALID_ARGUMENT');
        process.exitCode = EXIT.usage;
        return;
      }
      process.exitCode = await withPipelineClient(flags, ui, async (client) => {
        const options = {
          filepath: file,
          ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
          ...(flags.ttl !== undefined ? { ttl: flags.ttl } : {}),
          ...(flags.token !== undefined ? { token: flags.token } : {}),
          ...(flags.name !== undefined ? { name: flags.name } : {}),
          ...(flags.drain !== undefined ? { drainMs: flags.drain } : {}),
        };
        const reply = await ui.during('starting the task', client.use(options).catch((err: Error) => Promise.reject(readable(err, file))));
        if (ui.json) ui.print(reply);
        else ui.line(reply.token);
        return EXIT.completed;
      });
    });

  remoteCommand(group, 'send', 'send one item to a task and print its result')
    .argument('<token>', 'task token')
    .argument('[text]', 'the item (else --file, or standard input)')
    .option('--file <path>', 'read the item from a file (- for standard input)')
    .option('--mime <type>', 'media type of the item (default text/plain, or application/octet-stream for a file)')
    .option('--name <name>', 'name of the item (default: the file name)')
    .action(async (token: string, text: string | undefined, flags: SendFlags) => {
      const ui = uiFor(flags);
      let data: string | Buffer;
      try {
        data = text ?? fs.readFileSync(flags.file === undefined || flags.file === '-' ? 0 : flags.file);
      } catch (err) {
        ui.error(`file: cannot read ${flags.file}: ${(err as Error).message}`, 'INVALID_ARGUMENT');
        process.exitCode = EXIT.usage;
        return;
      }
      const name = flags.name ?? (flags.file && flags.file !== '-' ? flags.file.replace(/^.*[\\/]/, '') : undefined);
      const mime = flags.mime ?? (typeof data === 'string' || !flags.file ? 'text/plain' : 'application/octet-stream');
      process.exitCode = await withPipelineClient(flags, ui, async (client) => {
        const result = await ui.during('processing the item', client.send(token, data, name ? { name } : {}, mime));
        ui.line(ui.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
        return EXIT.completed;
      });
    });

  remoteCommand(group, 'status', 'show the status of a task: state, counts, rates, errors')
    .argument('<token>', 'task token')
    .action(async (token: string, flags: RemoteFlags) => {
      const ui = uiFor(flags);
      process.exitCode = await withPipelineClient(flags, ui, async (client) => {
        const status = await client.getTaskStatus(token);
        if (ui.json) ui.print(status);
        else describe(ui, status);
        return EXIT.completed;
      });
    });

  remoteCommand(group, 'terminate', 'terminate a task: no new item is accepted, items in progress finish (within the drain deadline), then it ends')
    .argument('<token>', 'task token')
    .option('--drain <ms>', 'how long items in progress may take to finish (default: as use said, else 30000)', parseMs)
    .option('--force', 'cancel items in progress at once')
    .action(async (token: string, flags: RemoteFlags & { drain?: number; force?: boolean }) => {
      const ui = uiFor(flags);
      process.exitCode = await withPipelineClient(flags, ui, async (client) => {
        const options = { ...(flags.drain !== undefined ? { drainMs: flags.drain } : {}), ...(flags.force ? { force: true } : {}) };
        await ui.during('terminating: items in progress are finishing', client.terminate(token, options));
        const status = await client.getTaskStatus(token);
        if (ui.json) ui.print(status);
        else ui.line(`${token} ${ui.status(status.status === 'Stopped' ? 'stopped' : status.status.toLowerCase())}: ${countsLine(status)}`);
        return EXIT.completed;
      });
    });

  registerPipelineWatch(group);
}

/** A file that cannot be read, or is not JSON, is bad input. */
function readable(err: Error, file: string): Error {
  if (err instanceof PipelineError) return err;
  return new PipelineError(err instanceof SyntaxError ? 'INVALID_PIPELINE' : 'INVALID_ARGUMENT', `file: ${file}: ${err.message}`, 'execute');
}

function describe(ui: Ui, s: TaskStatus): void {
  const time = (sec: number) => (sec ? new Date(sec * 1000).toISOString() : undefined);
  const rows: Array<[string, string | undefined]> = [
    ['token', s.token],
    ['state', `${s.state} ${s.status}`],
    ['name', s.name],
    ['source', s.source],
    ['threads', String(s.threads)],
    ['items', countsLine(s)],
    ['rate', `${s.rateCount} items/s, ${s.rateSize} bytes/s`],
    ['started', time(s.startTime)],
    ['ended', time(s.endTime)],
    ['exit', s.completed ? `${s.exitCode} ${s.exitMessage}` : undefined],
    ['errors', s.errors.length ? s.errors.join('\n            ') : undefined],
    ['warnings', s.warnings.length ? s.warnings.join('\n            ') : undefined],
  ];
  ui.fields(rows, 12);
}
