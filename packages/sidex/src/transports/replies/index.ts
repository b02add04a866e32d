import type { DialectServices } from '../../services/index.js';
import { ActionBlockReplies } from './action-block-replies.js';
import { CapabilityReplies } from './capability-replies.js';
import { CommandReplies } from './command-replies.js';
import { SideExecutionReplies } from './side-execution-replies.js';
import { WorkersReplies } from './workers-replies.js';

/** The Codebolt-shaped replies of every operation of the three namespaces, of commands and of the workers' listing, from typed inputs. */
export interface Replies {
  sideExecution: SideExecutionReplies;
  actionBlock: ActionBlockReplies;
  capability: CapabilityReplies;
  commands: CommandReplies;
  workers: WorkersReplies;
}

export function repliesOf(services: DialectServices): Replies {
  return {
    sideExecution: new SideExecutionReplies(services.sideExecution),
    actionBlock: new ActionBlockReplies(services.actionBlock),
    capability: new CapabilityReplies(services.capability),
    commands: new CommandReplies(services.commands),
    workers: new WorkersReplies(services.workers),
  };
}
