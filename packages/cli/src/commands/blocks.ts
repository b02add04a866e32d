import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { withClient } from '../remote.js';
import { failed, remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';

export function registerBlocks(program: Command): void {
  remoteCommand(program, 'blocks', 'list the action blocks the server finds')
    .option('--type <type>', 'filesystem, runtime or builtin')
    .action(async (flags: RemoteFlags & { type?: 'filesystem' | 'runtime' | 'builtin' }) => {
      const ui = uiFor(flags);
      process.exitCode = await withClient(flags, ui, async (client) => {
        const reply = await client.actionBlock.list(flags.type);
        if (!reply.success) return failed(ui, reply);
        if (ui.json) ui.print(reply.data);
        else ui.table(['NAME', 'TYPE', 'VERSION', 'PATH'], reply.actionBlocks.map((b) => [b.name, b.type, b.version, b.path]));
        return EXIT.completed;
      });
    });
}
