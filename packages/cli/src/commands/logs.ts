import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { withClient } from '../remote.js';
import { remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';

export function registerLogs(program: Command): void {
  remoteCommand(program, 'logs', "print an execution's output (stdout to stdout, stderr to stderr)")
    .argument('<id>', 'execution id')
    .option('-f, --follow', 'keep printing until the execution ends')
    .action(async (id: string, flags: RemoteFlags & { follow?: boolean }) => {
      const ui = uiFor(flags);
      process.exitCode = await withClient(flags, ui, async (client) => {
        for await (const line of client.logs(id, { follow: Boolean(flags.follow) })) {
          if (ui.json) ui.print(line);
          else (line.stream === 'stdout' ? process.stdout : process.stderr).write(line.data);
        }
        return EXIT.completed;
      });
    });
}
