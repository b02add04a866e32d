import fs from 'node:fs';

/** Read at boot: the code it runs may change its environment. */
export const SANDBOXED = process.env.SIDEX_SANDBOXED === '1';

/**
 * Live processes of this sandbox's PID namespace other than its init (1) and
 * this one. Under Node's permission model /proc is not readable: none are
 * counted, so none are waited for (the kernel ends them with the namespace).
 */
export function namespaceOthers(): number {
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
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat[stat.lastIndexOf(')') + 2];
      if (state !== 'Z' && state !== 'X') count++;
    } catch {
      // exited while we looked
    }
  }
  return count;
}
