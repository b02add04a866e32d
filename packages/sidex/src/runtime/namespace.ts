import fs from 'node:fs';
import { stillRuns } from './proc-state.js';

/** Read at boot: the code it runs may change its environment. */
export const SANDBOXED = process.env.SIDEX_SANDBOXED === '1';

let lastPid: number | undefined;
const lastPidText = Buffer.alloc(16);
let lastPidBeforeCode: string | undefined;

/**
 * Holds the namespace's last pid given out open from boot, so that a stop
 * reads it with one system call. Called once the server's stray descriptors
 * are closed; none where /proc is closed to the runtime (the permission model).
 */
export function holdLastPid(): void {
  if (!SANDBOXED || lastPid !== undefined) return;
  try {
    lastPid = fs.openSync('/proc/sys/kernel/ns_last_pid', 'r');
  } catch {
    // the search of /proc stands alone
  }
}

/**
 * Notes the namespace's last pid given out, as the runtime becomes ready:
 * before any of the user's code runs (a block's top level included). Every
 * process and thread takes one, so while it stays the same the code has
 * started nothing and a stop skips the search of /proc (~0.1 ms of every
 * stop here). A thread the runtime starts later itself (an ES module
 * block's loader hook) only brings the search back. The code can close or
 * replace the descriptor: that can only bring the search back, or cost its
 * own processes their grace. Should pid numbers wrap all the way round to the same one,
 * its processes would go unwaited-for: the kernel still ends them with the
 * namespace, only without their grace period.
 */
export function notePidsBeforeCode(): void {
  lastPidBeforeCode = readLastPid();
}

/**
 * Live processes of this sandbox's PID namespace other than its init (1) and
 * this one. Under Node's permission model /proc is not readable: none are
 * counted, so none are waited for (the kernel ends them with the namespace).
 */
export function namespaceOthers(): number {
  if (lastPidBeforeCode !== undefined && readLastPid() === lastPidBeforeCode) return 0;
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return 0;
  }
  let count = 0;
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    if (stillRuns(pid)) count++;
  }
  return count;
}

function readLastPid(): string | undefined {
  if (lastPid === undefined) return undefined;
  try {
    return lastPidText.toString('latin1', 0, fs.readSync(lastPid, lastPidText, 0, lastPidText.length, 0));
  } catch {
    return undefined;
  }
}
