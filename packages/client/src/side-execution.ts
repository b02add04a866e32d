import { stdinField, wireBytes, type StdinInput } from '@sidex/protocol/frames';
import type { Connection } from './connection.js';
import type {
  ActionBlock,
  ExecutionStatus,
  HistoryEvent,
  ListFilter,
  Reply,
  StartFields,
  StartOptions,
  StatusFields,
  StdinWrittenFields,
  StopFields,
  StopOptions,
} from '@sidex/protocol';

/** What a command start takes besides its argv. */
export interface CommandOptions extends StartOptions {
  /** Working directory, inside the server's allowed roots (default: its scratch directory). */
  cwd?: string;
  /** Its stdin: text or bytes written at start, then closed; with `open: true`, more may be written (writeStdin). */
  stdin?: StdinInput;
  /** ms of running after which it is stopped. */
  timeout?: number;
}

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

  /**
   * Runs a program (argv executed directly, no shell) as an execution, with
   * the same sandbox, limits, stop and output capture as code; answers once it
   * has been exec'd, or failed to be (COMMAND_NOT_FOUND, COMMAND_NOT_EXECUTABLE).
   * A sidex extension.
   */
  startWithCommand(argv: string[], options: CommandOptions = {}): Promise<Reply<StartFields>> {
    const { cwd, env, stdin, timeout, ...rest } = options;
    return this.connection.request({
      type: TYPE,
      action: 'startSideExecution',
      command: argv,
      ...(cwd !== undefined ? { cwd } : {}),
      ...(env !== undefined ? { env } : {}),
      ...(stdin !== undefined ? { stdin: stdinField(stdin) } : {}),
      ...(timeout !== undefined ? { timeout } : {}),
      ...(Object.keys(rest).length ? { options: rest } : {}),
    });
  }

  /** Writes to a running command's open stdin; `close` ends it after the bytes. */
  writeStdin(sideExecutionId: string, data: string | Uint8Array, options: { close?: boolean } = {}): Promise<Reply<StdinWrittenFields>> {
    return this.connection.request({ type: TYPE, action: 'writeSideExecutionStdin', sideExecutionId, ...wireBytes(data), ...(options.close ? { close: true } : {}) });
  }

  /** Ends a running command's stdin: the program reads end of file. */
  closeStdin(sideExecutionId: string): Promise<Reply<StdinWrittenFields>> {
    return this.connection.request({ type: TYPE, action: 'writeSideExecutionStdin', sideExecutionId, close: true });
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
