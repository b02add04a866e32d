import type { ActionBlockReplies } from '../../replies/action-block-replies.js';
import { withCaller, type Caller } from '../caller.js';
import { BlockNameField, ListBlocksFields, StartActionBlockFields } from '../inputs.js';
import { parsed } from './parsed.js';

/** `codebolt.actionBlock` in process, and what a `/codebolt` connection calls for its frames. */
export class ActionBlockApi {
  constructor(
    private readonly replies: ActionBlockReplies,
    private readonly caller: Caller = {},
  ) {}

  list(filterType?: unknown, projectPath?: unknown) {
    return parsed('listActionBlocksResponse', ListBlocksFields, () => ({ filterType, projectPath }), (f) =>
      this.replies.list(f.filterType ?? undefined, f.projectPath ?? undefined),
    );
  }

  getDetail(actionBlockName: unknown) {
    return parsed('getActionBlockDetailResponse', BlockNameField, () => ({ actionBlockName }), (f) => this.replies.getDetail(f.actionBlockName));
  }

  /** Runs a block by name and answers once it has finished, with its result. */
  start(actionBlockName: unknown, params?: unknown) {
    return parsed('startActionBlockResponse', StartActionBlockFields, () => ({ actionBlockName, params }), (f) =>
      this.replies.start(f.actionBlockName, f.params, withCaller(undefined, this.caller)),
    );
  }
}
