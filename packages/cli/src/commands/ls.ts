import { Option, type Command } from 'commander';
import { EXECUTION_STATUSES, type ExecutionStatus } from '@sidex/client';
import { EXIT } from '../exit-codes.js';
import { parseMoment, parsePositive } from '../parse-options.js';
import { withClient } from '../remote.js';
import { failed, remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';

interface LsFlags extends RemoteFlags {
  status?: string;
  type?: 'side' | 'cap' | 'task';
  kind?: 'inline' | 'block' | 'command';
  name?: string;
  search?: string;
  since?: number;
  until?: number;
  limit?: number;
  cursor?: string;
  counts?: boolean;
}

export function registerLs(program: Command): void {
  remoteCommand(program, 'ls', 'list executions, newest first')
    .option('--status <list>', 'only these statuses, comma-separated (e.g. running,queued)')
    .addOption(new Option('--type <type>', 'only those started as side executions, capabilities or pipeline tasks').choices(['side', 'cap', 'task']))
    .addOption(new Option('--kind <kind>', 'only inline code, action blocks or commands').choices(['inline', 'block', 'command']))
    .option('--name <name>', 'only this exact name')
    .option('--search <text>', 'only names containing this text (any case)')
    .option('--since <when>', 'created at or after: ISO date, epoch ms, or an age such as 2h', parseMoment)
    .option('--until <when>', 'created before: ISO date, epoch ms, or an age such as 30m', parseMoment)
    .option('--counts', 'print how many executions there are by status instead')
    .option('--limit <n>', 'how many (default 50)', parsePositive)
    .option('--cursor <cursor>', 'the next page, as printed after the previous one')
    .action(async (flags: LsFlags) => {
      const ui = uiFor(flags);
      const statuses = flags.status?.split(',').map((s) => s.trim());
      const unknown = statuses?.find((s) => !(EXECUTION_STATUSES as readonly string[]).includes(s));
      if (unknown !== undefined) {
        ui.error(`--status ${unknown}: not a status; one or more of ${EXECUTION_STATUSES.join(', ')}, comma-separated`, 'INVALID_ARGUMENT');
        process.exitCode = EXIT.usage;
        return;
      }
      process.exitCode = await withClient(flags, ui, async (client) => {
        if (flags.counts) {
          const counts = await client.sideExecution.counts();
          if (!counts.success) return failed(ui, counts);
          if (ui.json) ui.print(counts.data);
          else ui.table(['STATUS', 'COUNT'], Object.entries(counts.counts).map(([status, n]) => [ui.status(status as ExecutionStatus), String(n)]));
          return EXIT.completed;
        }
        const page = await client.sideExecution.list({
          ...(statuses ? { status: statuses as ExecutionStatus[] } : {}),
          ...(flags.type ? { type: flags.type } : {}),
          ...(flags.kind ? { kind: flags.kind } : {}),
          ...(flags.name ? { name: flags.name } : {}),
          ...(flags.search ? { q: flags.search } : {}),
          ...(flags.since !== undefined ? { since: flags.since } : {}),
          ...(flags.until !== undefined ? { until: flags.until } : {}),
          ...(flags.limit ? { limit: flags.limit } : {}),
          ...(flags.cursor ? { cursor: flags.cursor } : {}),
        });
        if (!page.success) return failed(ui, page);
        if (ui.json) {
          ui.print(page.data);
          return EXIT.completed;
        }
        if (page.executions.length === 0) {
          process.stderr.write(`${ui.dim('no executions match')}\n`);
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
