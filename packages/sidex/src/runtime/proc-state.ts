import fs from 'node:fs';

/** Not exited: a zombie (exited, not yet reaped) or a pid gone already is not running. */
export function stillRuns(pid: string | number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat[stat.lastIndexOf(')') + 2];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false; // exited while we looked
  }
}
