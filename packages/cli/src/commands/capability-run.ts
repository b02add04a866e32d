import type { Command } from 'commander';
import { CAPABILITY_TYPES, type CapabilityExecution, type CapabilityType, type Reply, type SidexClient, type StartCapabilityFields } from '@sidex/client';
import { EXIT } from '../exit-codes.js';
import { followToEnd } from '../follow.js';
import { parseJsonObject, parseMs } from '../parse-options.js';
import { withClient } from '../remote.js';
import { failed, remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';
import type { Ui } from '../ui.js';
import { reportStops, stopOptions } from '../stop-replies.js';

interface RunFlags extends RemoteFlags {
  params?: Record<string, unknown>;
  timeout?: number;
  detach?: boolean;
}

interface StopFlags extends RemoteFlags {
  grace?: number;
  force?: boolean;
}

/**
 * `sidex skill|power|talent run|stop|status|resume`. `run` and `resume`
 * follow the execution to its end like `sidex run` (output streamed, exit code
 * by how it ended, Ctrl-C stops it); `--detach` prints the id instead. stop,
 * status and resume take any capability execution's id, whatever its type.
 */
export function registerCapabilityRun(program: Command): void {
  for (const type of CAPABILITY_TYPES) registerType(program, type);
}

function registerType(program: Command, type: CapabilityType): void {
  const group = program.command(type).description(`run, stop, watch and resume ${type}s on the server`);

  withRunFlags(remoteCommand(group, 'run', `start a ${type} by name through the executor that supports it`).argument('<name>', `${type} name`))
    .option('--params <json>', 'params as a JSON object', parseJsonObject)
    .option('--timeout <ms>', 'stop it after this many milliseconds of running', parseMs)
    .action(async (name: string, flags: RunFlags) => {
      const ui = uiFor(flags);
      process.exitCode = await withClient(flags, ui, (client) =>
        followStarted(ui, client, flags, ui.during(`starting ${type} ${name}`, client.capability.startCapability(name, type, flags.params, flags.timeout))),
      );
    });

  withRunFlags(remoteCommand(group, 'resume', 'run an ended execution again from its last checkpoint (ctx.resumeFrom)').argument('<executionId>'))
    .action(async (id: string, flags: RunFlags) => {
      const ui = uiFor(flags);
      process.exitCode = await withClient(flags, ui, (client) => followStarted(ui, client, flags, ui.during(`resuming ${id}`, client.capability.resume(id))));
    });

  remoteCommand(group, 'stop', 'stop executions with the stop protocol: SIGTERM and onStop handlers, SIGKILL after the grace period')
    .argument('<executionIds...>')
    .option('--grace <ms>', 'grace period before SIGKILL (default 5000)', parseMs)
    .option('--force', 'SIGKILL at once')
    .action(async (ids: string[], flags: StopFlags) => {
      const ui = uiFor(flags);
      process.exitCode = await withClient(flags, ui, async (client) =>
        reportStops(ui, await ui.during(`stopping ${ids.length} execution(s)`, Promise.all(ids.map((id) => client.capability.stopCapability(id, stopOptions(flags)))))),
      );
    });

  remoteCommand(group, 'status', 'show the status of a capability execution')
    .argument('<executionId>')
    .action(async (id: string, flags: RemoteFlags) => {
      const ui = uiFor(flags);
      process.exitCode = await withClient(flags, ui, async (client) => {
        const reply = await client.capability.getExecutionStatus(id);
        if (!reply.success) return failed(ui, reply);
        if (ui.json) ui.print(reply.data);
        else describe(ui, reply.execution);
        return EXIT.completed;
      });
    });
}

function withRunFlags(command: Command): Command {
  return command.option('--detach', 'print the execution id and return at once');
}

async function followStarted(ui: Ui, client: SidexClient, flags: RunFlags, starting: Promise<Reply<StartCapabilityFields>>): Promise<number> {
  const started = await starting;
  if (!started.success) return failed(ui, started);
  const id = started.executionId;
  if (flags.detach) {
    ui.started(id, started.status, started.data);
    return EXIT.completed;
  }
  if (!ui.json) process.stderr.write(`${ui.dim(`started ${id} on ${started.executorName}`)}\n`);
  return followToEnd(ui, client, id, (force) => void client.capability.stopCapability(id, stopOptions({ force })));
}

function describe(ui: Ui, e: CapabilityExecution): void {
  const rows: Array<[string, string | undefined]> = [
    ['id', e.id],
    ['status', ui.status(e.status)],
    ['capability', `${e.capabilityName} (${e.capabilityType})`],
    ['executor', e.executorName],
    ['started', new Date(e.startTime).toISOString()],
    ['ended', e.endTime === undefined ? undefined : new Date(e.endTime).toISOString()],
    ['resumed from', e.resumedFrom],
    ['progress', e.progress === undefined ? undefined : JSON.stringify(e.progress)],
    ['checkpoint', e.checkpoint === undefined ? undefined : JSON.stringify(e.checkpoint)],
    ['result', e.result === undefined ? undefined : JSON.stringify(e.result)],
    ['error', e.error === undefined ? undefined : `${e.error}${e.errorCode ? ` [${e.errorCode}]` : ''}`],
  ];
  ui.fields(rows, 13, e.output);
}


