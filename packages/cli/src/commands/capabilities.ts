import type { Command } from 'commander';
import type { CapabilityFilter, CatalogWarning } from '@sidex/client';
import { EXIT } from '../exit-codes.js';
import { withClient } from '../remote.js';
import { failed, remoteCommand, uiFor, type RemoteFlags } from '../remote-command.js';
import type { Ui } from '../ui.js';
import { parseCapabilityType } from '../parse-options.js';

interface CapabilitiesFlags extends RemoteFlags {
  type?: CapabilityFilter['type'];
  tag?: string[];
  author?: string;
  executors?: boolean;
}

export function registerCapabilities(program: Command): void {
  remoteCommand(program, 'capabilities', 'list the skills, powers and talents the server finds (or, with --executors, what runs them)')
    .option('--type <type>', 'skill, power or talent', parseCapabilityType)
    .option('--tag <tag...>', 'only those with any of these tags')
    .option('--author <author>', 'only those by this author (any case)')
    .option('--executors', 'list the executors instead')
    .action(async (flags: CapabilitiesFlags) => {
      const ui = uiFor(flags);
      process.exitCode = await withClient(flags, ui, async (client) => {
        if (flags.executors) {
          const reply = await client.capability.listExecutors();
          if (!reply.success) return failed(ui, reply);
          if (ui.json) return printed(ui, reply.data);
          ui.table(['NAME', 'TYPES', 'VERSION', 'SOURCE', 'PATH'], reply.executors.map((e) => [e.name, e.supportedTypes.join(','), e.version, e.source, e.path]));
          return warned(ui, reply.warnings);
        }
        const filter: CapabilityFilter = {
          ...(flags.type ? { type: flags.type } : {}),
          ...(flags.tag ? { tags: flags.tag } : {}),
          ...(flags.author ? { author: flags.author } : {}),
        };
        const reply = await client.capability.listCapabilities(filter);
        if (!reply.success) return failed(ui, reply);
        if (ui.json) return printed(ui, reply.data);
        ui.table(
          ['NAME', 'TYPE', 'VERSION', 'SOURCE', 'DESCRIPTION'],
          reply.capabilities.map((c) => [c.name, c.type, c.version, c.source, c.description]),
        );
        return warned(ui, reply.warnings);
      });
    });
}

function printed(ui: Ui, data: unknown): number {
  ui.print(data);
  return EXIT.completed;
}

/** Broken items are left out of a listing; people are told why, on stderr. */
function warned(ui: Ui, warnings: CatalogWarning[]): number {
  for (const w of warnings) process.stderr.write(`${ui.dim(`warning: ${w.file}${w.field ? ` (${w.field})` : ''}: ${w.message}`)}\n`);
  return EXIT.completed;
}
