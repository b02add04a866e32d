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
