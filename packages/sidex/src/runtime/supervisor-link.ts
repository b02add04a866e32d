import type { RuntimeMessage } from './messages.js';

/** Resolves once the message is written to the IPC channel (or the channel is gone). */
export function send(message: RuntimeMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

export function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * A stopped runtime has reported everything (its stdout and stderr are files,
 * written synchronously; its last message is in the channel) and exits.
 * The code's 'exit' listeners run as ever, then the process ends by SIGKILL,
 * at once: process.exit would first spend ~0.1 ms of its own, then tear Node
 * down in reallyExit, joining Node's threads one by one, 1–3 ms measured here
 * and more on a busy host, all on the path of every stop. The exit code is
 * set first, as process.exit sets it, so that Node's own listener (an
 * unsettled top-level await's) leaves it be. The engine records this end as
 * the exit code 0 it stands for (final-status.ts).
 */
export function endStopped(): never {
  const end = () => process.kill(process.pid, 'SIGKILL');
  // A listener that calls process.exit itself ends the same way, not by Node's teardown.
  (process as unknown as { reallyExit: () => void }).reallyExit = end;
  process.exitCode = 0;
  const exiting = process as unknown as { _exiting: boolean };
  if (!exiting._exiting) {
    exiting._exiting = true;
    process.emit('exit', 0);
  }
  end();
  throw new Error('unreachable: SIGKILL cannot be caught');
}

/**
 * The supervisor is gone: nobody will ever stop this tree, so it stops itself.
 * The runtime leads its own process group (it is spawned detached).
 */
export function killOwnGroup(): never {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    // not a group leader: only this process is ours to end
  }
  process.exit(137);
}
