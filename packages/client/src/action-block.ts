import type { Connection } from './connection.js';
import type { ActionBlock, ActionBlockSource, Reply } from '@sidex/protocol';

const TYPE = 'actionBlock';

/** `codebolt.actionBlock`: action blocks by name. */
export class ActionBlockApi {
  constructor(private readonly connection: Connection) {}

  list(filterType?: ActionBlockSource): Promise<Reply<{ actionBlocks: ActionBlock[] }>> {
    return this.connection.request({ type: TYPE, action: 'listActionBlocks', filterType });
  }

  getDetail(actionBlockName: string): Promise<Reply<{ actionBlock: ActionBlock }>> {
    return this.connection.request({ type: TYPE, action: 'getActionBlockDetail', actionBlockName });
  }

  /** Runs a block by name and answers once it has finished, with its result. */
  start(actionBlockName: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<Reply<{ sideExecutionId: string; result?: unknown }>> {
    return this.connection.request({ type: TYPE, action: 'startActionBlock', actionBlockName, params }, timeoutMs);
  }
}
