import type { Command } from 'commander';
import type { ExecutionStatus } from '@sidex/client';
import { EXIT } from '../exit-codes.js';
import { parsePositive } from '../parse-options.js';
import { withClient } from '../remote.js';
import { failed, remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';

interface LsFlags extends RemoteFlags {
  status?: string;
  limit?: number;
  cursor?: string;
}

export function registerLs(program: Command): void {
  remoteCommand(program, 'ls', 'list executions, newest first')
    .option('--status <list>', 'only these statuses, comma-separated (e.g. running,queued)')
    .option('--limit <n>', 'how many (default 50)', parsePositive)
    .option('--cursor <cursor>', 'the next page, as printed after the previous one')
    .action(async (flags: LsFlags) => {
      const ui = uiFor(flags);
      process.exitCode = await withClient(flags, ui, async (client) => {
        const page = await client.sideExecution.list({
          ...(flags.status ? { status: flags.status.split(',').map((s) => s.trim()) as ExecutionStatus[] } : {}),
          ...(flags.limit ? { limit: flags.limit } : {}),
          ...(flags.cursor ? { cursor: flags.cursor } : {}),
        });
        if (!page.success) return failed(ui, page);
        if (ui.json) {
          ui.print(page.data);
          return EXIT.completed;
        }
        ui.table(
          ['ID', 'STATUS', 'NAME', 'STARTED', 'DURATION'],
          page.executions.map((e) => [
            e.sideExecutionId,
            ui.status(e.status),
            e.name,
            new Date(e.startTime).toISOString(),
            e.duration === undefined ? '' : `${e.duration} ms`,
          ]),
        );
        if (page.nextCursor) ui.line(ui.dim(`more: sidex ls --cursor ${page.nextCursor}`));
        return EXIT.completed;
      });
    });
}
