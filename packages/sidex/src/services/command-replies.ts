// The Codebolt-shaped replies of command starts and stdin writes, which the
// /codebolt WebSocket and REST both send (as they do for every other call).
import { CommandService, type StdinWritten } from './command-service.js';
import { fail, ok, replying, type Reply } from './replies.js';
import { startedReply, type SideExecutionService } from './side-execution-service.js';

export const START_TYPE = 'startSideExecutionResponse';
export const WRITE_STDIN_TYPE = 'writeSideExecutionStdinResponse';

/** The dialect's one start: a command, inline code or an action block, exactly one of them. */
export function startSideExecutionReply(sideExecution: SideExecutionService, commands: CommandService, fields: Record<string, unknown>) {
  let command: boolean;
  try {
    command = CommandService.asksForCommand(fields);
  } catch (err) {
    return Promise.resolve(fail(START_TYPE, err));
  }
  return command ? startCommandReply(commands, fields) : sideExecution.start(fields);
}

export function startCommandReply(commands: CommandService, fields: Record<string, unknown>) {
  return replying(START_TYPE, async () => startedReply(START_TYPE, await commands.start(fields), 'sideExecutionId'));
}

export function writeStdinReply(commands: CommandService, fields: Record<string, unknown>): Promise<Reply<StdinWritten>> {
  return replying(WRITE_STDIN_TYPE, async () => ok(WRITE_STDIN_TYPE, await commands.writeStdin(fields)), { sideExecutionId: fields.sideExecutionId });
}
