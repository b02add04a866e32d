import type { Reply, StatusFields } from '@sidex/client';
import { stackFrame, type UserSource } from './code-frame.js';
import { exitCodeFor } from './exit-codes.js';
import { failed } from './remote-command.js';
import type { Ui } from './ui.js';

/**
 * Prints how an execution ended (its result, or why it failed) and returns the
 * exit code of its status. A failure shows its stack, and, when `source` is the
 * code that ran, the line of it where the error was thrown.
 */
export function reportEnd(ui: Ui, done: Reply<StatusFields>, source?: UserSource): number {
  if (!done.success) return failed(ui, done);
  if (ui.json) ui.print(done.data);
  else if (done.result !== undefined) ui.line(JSON.stringify(done.result, null, 2));
  if (!ui.json && done.failure && done.status !== 'stopped') {
    const { stack } = done.failure;
    if (stack) {
      const frame = source && stackFrame(source, stack);
      process.stderr.write(`${frame ? `${frame}\n` : ''}${stack}\n`);
    }
    process.stderr.write(`sidex: ${ui.status(done.status)}: ${done.failure.message} [${done.failure.code}]\n`);
  }
  return exitCodeFor(done.status);
}
