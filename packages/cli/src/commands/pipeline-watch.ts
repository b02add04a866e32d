import type { Command } from 'commander';
import type { DapMessage, TaskStatus } from '@sidex/client';
import { countsLine, progressLine } from '../progress-bar.js';
import { exitForTask, hasEnded, withPipelineClient } from '../pipeline-remote.js';
import { remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';
import type { Ui } from '../ui.js';

/**
 * `sidex pipeline watch <token>`: the task's counts as they change until it
 * ends — a live progress bar on a terminal, a line per update otherwise, a JSON
 * status per update with --json. Its exit code says how the task ended.
 */
export function registerPipelineWatch(group: Command): void {
  remoteCommand(group, 'watch', 'follow the counts of a task until it ends (a live progress bar on a terminal)')
    .argument('<token>', 'task token')
    .action(async (token: string, flags: RemoteFlags) => {
      const ui = uiFor(flags);
      const view = new StatusView(ui);
      let ended: (status: TaskStatus) => void = () => {};
      const end = new Promise<TaskStatus>((resolve) => (ended = resolve));
      const update = (status: TaskStatus) => {
        view.show(status);
        if (hasEnded(status)) ended(status);
      };
      process.exitCode = await withPipelineClient(flags, ui, async (client) => {
        client.onEvent = async (message: DapMessage) => {
          if (message.event === 'apaevt_status_update' && message.body?.token === token) update(message.body as TaskStatus);
        };
        await client.addMonitor({ token }, ['SUMMARY']);
        update(await client.getTaskStatus(token)); // a task read from the store has no live status to send
        const last = await end;
        view.done(last);
        return exitForTask(last);
      });
    });
}

class StatusView {
  private lastLine = '';

  constructor(private readonly ui: Ui) {}

  show(status: TaskStatus): void {
    if (this.ui.json) return this.ui.print(status);
    if (this.ui.fancy) {
      process.stdout.write(`\r\x1b[2K${progressLine(status, process.stdout.columns || 80)}`);
      return;
    }
    const line = `${status.status}: ${countsLine(status)}`;
    if (line !== this.lastLine) this.ui.line(line);
    this.lastLine = line;
  }

  done(status: TaskStatus): void {
    if (this.ui.fancy) process.stdout.write(`\n${this.ui.dim(status.exitMessage)}\n`);
  }
}
