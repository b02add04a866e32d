import type { Command } from 'commander';
import { isTerminal, type StatusFields } from '@sidex/client';
import { EXIT } from '../exit-codes.js';
import { withClient } from '../remote.js';
import { failed, remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';
import type { Ui } from '../ui.js';

export function registerStatus(program: Command): void {
  remoteCommand(program, 'status', 'show the status of an execution')
    .argument('<id>', 'execution id')
    .action(async (id: string, flags: RemoteFlags) => {
      const ui = uiFor(flags);
      process.exitCode = await withClient(flags, ui, async (client) => {
        const reply = await client.sideExecution.getStatus(id);
        if (!reply.success) return failed(ui, reply);
        if (ui.json) ui.print(reply.data);
        else describe(ui, reply.data);
        return EXIT.completed;
      });
    });
}

function describe(ui: Ui, s: StatusFields): void {
  const rows: Array<[string, string | undefined]> = [
    ['id', s.sideExecutionId],
    ['status', ui.status(s.status)],
    ['name', s.name],
    ['started', new Date(s.startTime).toISOString()],
    ['ended', s.endTime === undefined ? undefined : new Date(s.endTime).toISOString()],
    ['duration', s.duration === undefined ? undefined : `${s.duration} ms`],
    ['memory', memory(s)],
    ['cpu', `${s.cpuTime} ms`],
    ['result', s.result === undefined ? undefined : JSON.stringify(s.result)],
    ['failure', s.failure ? `${s.failure.message} [${s.failure.code}]` : undefined],
    ['stop reason', s.stopReason],
  ];
  ui.fields(rows, 12, s.output);
}

/** A job that ended before the first sample has no measured memory: say so rather than "0.0 MB". */
function memory(s: StatusFields): string {
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
  if (s.peakMemoryUsage === 0) return isTerminal(s.status) ? 'not measured (it ended before the first sample)' : 'not measured yet';
  return s.memoryUsage > 0 ? `${mb(s.memoryUsage)} (peak ${mb(s.peakMemoryUsage)})` : `peak ${mb(s.peakMemoryUsage)}`;
}
