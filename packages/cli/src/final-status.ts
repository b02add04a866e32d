import type { Reply, StatusFields } from '@sidex/client';
import { exitCodeFor } from './exit-codes.js';
import { failed } from './remote-command.js';
import type { Ui } from './ui.js';

/** Prints how an execution ended (its result, or why it failed) and returns the exit code of its status. */
export function reportEnd(ui: Ui, done: Reply<StatusFields>): number {
  if (!done.success) return failed(ui, done);
  if (ui.json) ui.print(done.data);
  else if (done.result !== undefined) ui.line(JSON.stringify(done.result, null, 2));
  if (!ui.json && done.failure && done.status !== 'stopped') {
    process.stderr.write(`sidex: ${ui.status(done.status)}: ${done.failure.message} [${done.failure.code}]\n`);
  }
  return exitCodeFor(done.status);
}
