import type { DialectServices } from '../../services/index.js';
import { ActionBlockReplies } from './action-block-replies.js';
import { CapabilityReplies } from './capability-replies.js';
import { SideExecutionReplies } from './side-execution-replies.js';

/** The Codebolt-shaped replies of every operation of the three namespaces, from typed inputs. */
export interface Replies {
  sideExecution: SideExecutionReplies;
  actionBlock: ActionBlockReplies;
  capability: CapabilityReplies;
}

export function repliesOf(services: DialectServices): Replies {
  return {
    sideExecution: new SideExecutionReplies(services.sideExecution),
    actionBlock: new ActionBlockReplies(services.actionBlock),
    capability: new CapabilityReplies(services.capability),
  };
}
