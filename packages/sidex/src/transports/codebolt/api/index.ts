import type { Replies } from '../../replies/index.js';
import type { Caller } from '../caller.js';
import { ActionBlockApi } from './action-block-api.js';
import { CapabilityApi } from './capability-api.js';
import { SideExecutionApi } from './side-execution-api.js';

export { ActionBlockApi, CapabilityApi, SideExecutionApi };

/** `codebolt.sideExecution`, `.actionBlock` and `.capability`: the Codebolt dialect, for one caller. */
export interface CodeboltApi {
  sideExecution: SideExecutionApi;
  actionBlock: ActionBlockApi;
  capability: CapabilityApi;
}

export function codeboltApi(replies: Replies, caller: Caller = {}): CodeboltApi {
  return {
    sideExecution: new SideExecutionApi(replies.sideExecution, replies.commands, caller),
    actionBlock: new ActionBlockApi(replies.actionBlock, caller),
    capability: new CapabilityApi(replies.capability, caller),
  };
}
