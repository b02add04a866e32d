import type { Connection } from './connection.js';
import type { ActionBlock, ExecutionStatus, HistoryEvent, ListFilter, Reply, StartFields, StartOptions, StatusFields, StopFields, StopOptions } from '@sidex/protocol';

const TYPE = 'sideExecution';

/** `codebolt.sideExecution`: the five methods of the seed documents, with their names and argument orders, plus list. */
export class SideExecutionApi {
  constructor(private readonly connection: Connection) {}

  /** Runs an action block directory; answers once it runs. */
  startWithActionBlock(actionBlockPath: string, params?: Record<string, unknown>, timeout?: number, options?: StartOptions): Promise<Reply<StartFields>> {
    return this.connection.request({ type: TYPE, action: 'startSideExecution', actionBlockPath, params, timeout, options });
  }

  /** Runs inline JavaScript (the body of an async function); answers once it runs. */
  startWithCode(inlineCode: string, params?: Record<string, unknown>, timeout?: number, options?: StartOptions): Promise<Reply<StartFields>> {
    return this.connection.request({ type: TYPE, action: 'startSideExecution', inlineCode, params, timeout, options });
  }

  /** The stop protocol; answers when no process of it remains. */
  stop(sideExecutionId: string, options?: StopOptions): Promise<Reply<StopFields>> {
    return this.connection.request({ type: TYPE, action: 'stopSideExecution', sideExecutionId, ...options });
  }

  listActionBlocks(projectPath?: string): Promise<Reply<{ actionBlocks: ActionBlock[] }>> {
    return this.connection.request({ type: TYPE, action: 'listActionBlocks', projectPath });
  }

  getStatus(sideExecutionId: string): Promise<Reply<StatusFields>> {
    return this.connection.request({ type: TYPE, action: 'getSideExecutionStatus', sideExecutionId });
  }

  /**
   * Runs an ended execution's code again, with ctx.resumeFrom set to its last
   * checkpoint; answers once the new one runs (a sidex extension).
   */
  resume(sideExecutionId: string): Promise<Reply<StartFields & { resumedFrom: string }>> {
    return this.connection.request({ type: TYPE, action: 'resumeSideExecution', sideExecutionId });
  }

  /** The history of an execution, oldest first: status transitions, checkpoints, stop requests (a sidex extension). */
  events(sideExecutionId: string, query: { after?: number; limit?: number } = {}): Promise<Reply<{ sideExecutionId: string; events: HistoryEvent[] }>> {
    return this.connection.request({ type: TYPE, action: 'getSideExecutionEvents', sideExecutionId, ...query });
  }

  /** How many executions the server's store holds, by status (a sidex extension). */
  counts(): Promise<Reply<{ counts: Record<ExecutionStatus, number> }>> {
    return this.connection.request({ type: TYPE, action: 'countSideExecutions' });
  }

  /** Executions, newest first (a sidex extension). */
  list(filter: ListFilter = {}): Promise<Reply<{ executions: StatusFields[]; nextCursor?: string }>> {
    return this.connection.request({ type: TYPE, action: 'listSideExecutions', filter });
  }
}
