import type { Command } from 'commander';
import { EXECUTION_STATUSES, isTerminal, type SidexClient } from '@sidex/client';
import { EXIT } from '../exit-codes.js';
import { parseMs } from '../parse-options.js';
import { withClient } from '../remote.js';
import { remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';
import { reportStops, stopOptions } from '../stop-replies.js';

interface StopFlags extends RemoteFlags {
  all?: boolean;
  grace?: number;
  force?: boolean;
}

const ACTIVE = EXECUTION_STATUSES.filter((s) => !isTerminal(s));

export function registerStop(program: Command): void {
  remoteCommand(program, 'stop', 'stop executions with the stop protocol: SIGTERM and onStop handlers, SIGKILL after the grace period')
    .argument('[ids...]', 'execution ids')
    .option('--all', 'stop every execution that has not ended')
    .option('--grace <ms>', 'grace period before SIGKILL (default 5000)', parseMs)
    .option('--force', 'SIGKILL at once')
    .action(async (ids: string[], flags: StopFlags) => {
      const ui = uiFor(flags);
      if (ids.length === 0 && !flags.all) {
        ui.error('give execution ids, or --all', 'INVALID_ARGUMENT');
        process.exitCode = EXIT.usage;
        return;
      }
      process.exitCode = await withClient(flags, ui, async (client) => {
        const targets = flags.all ? [...new Set([...ids, ...(await active(client))])] : ids;
        const replies = await ui.during(
          `stopping ${targets.length} execution(s)`,
          Promise.all(targets.map((id) => client.sideExecution.stop(id, stopOptions(flags)))),
        );
        return reportStops(ui, replies);
      });
    });
}

/** Ids of every execution that has not ended, all pages. */
async function active(client: SidexClient): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.sideExecution.list({ status: ACTIVE, limit: 1000, ...(cursor ? { cursor } : {}) });
    if (!page.success) throw new Error(`${page.error} [${page.code}]`);
    ids.push(...page.executions.map((e) => e.sideExecutionId));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}
