import type { RuntimeMessage } from './messages.js';

/** Resolves once the message is written to the IPC channel (or the channel is gone). */
export function send(message: RuntimeMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * The runtime's last message: resolves once it is in the kernel's socket
 * buffer, where it outlives this process, instead of on the write's callback,
 * which libuv gives a turn of the event loop later (~0.1 ms on the path of
 * every stop). Node writes at once when nothing is queued before it; the
 * channel's writeQueueSize (undocumented, long stable) says whether all of it
 * went. If it did not, or cannot tell, the callback is awaited as ever.
 */
export function sendLast(message: RuntimeMessage): Promise<void> {
  const written = send(message);
  const queued = (process.channel as { writeQueueSize?: unknown } | undefined)?.writeQueueSize;
  return queued === 0 ? Promise.resolve() : written;
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
  process.exitCode = 0;
  const exiting = process as unknown as { _exiting: boolean };
  if (!exiting._exiting) {
    exiting._exiting = true;
    process.emit('exit', 0);
  }
  process.kill(process.pid, 'SIGKILL');
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
