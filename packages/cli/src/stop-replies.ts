import type { Reply, StopFields } from '@sidex/client';
import { EXIT } from './exit-codes.js';
import { exitForCode } from './remote.js';
import { failed } from './remote-command.js';
import type { Ui } from './ui.js';

/**
 * An execution that had already ended by itself is not a failed stop: what
 * `stop` is for (nothing of it runs) holds, so it exits 0 and says so.
 */
const alreadyEnded = (reply: Reply<StopFields>) => !reply.success && reply.code === 'ALREADY_FINISHED';

/** Prints each stop reply (id, final status, forced or not) and returns the exit code of the first failure, else 0. */
export function reportStops(ui: Ui, replies: Array<Reply<StopFields>>): number {
  for (const reply of replies) {
    if (alreadyEnded(reply)) {
      const { sideExecutionId, status } = (reply as unknown as { data: { sideExecutionId: string; status: string } }).data;
      if (ui.json) ui.print({ sideExecutionId, status, alreadyEnded: true });
      else ui.line(`${sideExecutionId} ${ui.status(status)}${ui.dim(' (had already ended)')}`);
    } else if (!reply.success) failed(ui, reply);
    else if (ui.json) ui.print(reply.data);
    else if (reply.status === 'already_stopped') ui.line(`${reply.sideExecutionId} ${ui.status('stopped')}${ui.dim(' (had already been stopped)')}`);
    else ui.line(`${reply.sideExecutionId} ${ui.status(reply.status)}${reply.forced ? ui.dim(' (forced)') : ''}`);
  }
  return replies.map((r) => (r.success || alreadyEnded(r) ? EXIT.completed : exitForCode(r.code))).find((c) => c !== EXIT.completed) ?? EXIT.completed;
}

/** `--grace` and `--force` as stop options. */
export const stopOptions = (flags: { grace?: number; force?: boolean }) => ({
  ...(flags.grace !== undefined ? { graceMs: flags.grace } : {}),
  ...(flags.force ? { force: true } : {}),
});
