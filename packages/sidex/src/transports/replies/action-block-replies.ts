import type { ActionBlockService, BlockFilterType } from '../../services/action-block-service.js';
import { SidexError } from '../../errors.js';
import type { StartOptionsInput } from '../../services/schemas.js';
import { fail, ok, replying } from './envelope.js';

/** The Codebolt-shaped replies of the `actionBlock` dialect, from typed inputs (the Codebolt dialect's and REST's). */
export class ActionBlockReplies {
  constructor(readonly service: ActionBlockService) {}

  list(filterType?: BlockFilterType, projectPath?: string) {
    const type = 'listActionBlocksResponse';
    return replying(type, async () => {
      const { blocks, warnings } = this.service.list(filterType, projectPath);
      return ok(type, { actionBlocks: blocks, warnings });
    });
  }

  getDetail(name: string) {
    const type = 'getActionBlockDetailResponse';
    return replying(type, async () => ok(type, { actionBlock: this.service.getDetail(name) }));
  }

  /** Runs a block by name and answers once it has finished, with its result. */
  start(name: string, params?: Record<string, unknown> | null, options?: StartOptionsInput) {
    const type = 'startActionBlockResponse';
    return replying(type, async () => {
      const record = await this.service.run(name, params, options);
      if (record.status !== 'completed') {
        const error = record.error ?? { code: 'EXECUTION_FAILED', message: `action block ended with status "${record.status}"` };
        // Its id flat and under data, as in every other reply (fail() puts fields in both).
        return fail(type, new SidexError(error.code, error.message, { sideExecutionId: record.id, status: record.status }), { sideExecutionId: record.id, status: record.status });
      }
      return ok(type, { sideExecutionId: record.id, result: record.result });
    });
  }
}
