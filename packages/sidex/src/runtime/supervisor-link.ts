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
 * process.exit runs the code's 'exit' listeners as ever, then calls
 * process.reallyExit, which tears Node down: it joins Node's threads one by
 * one, 1–3 ms measured here and more on a busy host, on the path of every
 * stop. There the process ends by SIGKILL instead, at once. (reallyExit is
 * undocumented but long stable; were it gone, this is a plain exit.) The
 * engine records this end as the exit code 0 it stands for (final-status.ts).
 */
export function endStopped(): never {
  (process as unknown as { reallyExit: (code: number) => void }).reallyExit = () => process.kill(process.pid, 'SIGKILL');
  process.exit(0);
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
