import type { StdinWrittenFields } from '@sidex/protocol';
import type { CommandService, StartCommand, WriteStdin } from '../../services/command-service.js';
import { ok, replying, type Reply } from './envelope.js';
import { startedReply } from './side-execution-replies.js';

/**
 * The Codebolt-shaped replies of command starts and stdin writes, from typed
 * inputs (the Codebolt dialect's and REST's). A command starts through the
 * dialect's one start, so it answers as `startSideExecutionResponse`.
 */
export class CommandReplies {
  constructor(readonly service: CommandService) {}

  start(input: StartCommand): Promise<Reply<{ sideExecutionId: string; status: string }>> {
    const type = 'startSideExecutionResponse';
    return replying(type, async () => startedReply(type, await this.service.start(input), 'sideExecutionId'));
  }

  writeStdin(input: WriteStdin): Promise<Reply<StdinWrittenFields>> {
    const type = 'writeSideExecutionStdinResponse';
    return replying(type, async () => ok(type, await this.service.writeStdin(input)), { sideExecutionId: input.sideExecutionId });
  }
}
