import fs from 'node:fs';
import { stillRuns } from './proc-state.js';

/**
 * Live children of this process. Node spawns them from its main thread, whose
 * children file lists them. None where /proc is closed to the runtime (the
 * permission model).
 */
export function liveChildren(): number {
  let pids: string[];
  try {
    pids = fs.readFileSync(`/proc/self/task/${process.pid}/children`, 'latin1').split(' ').filter(Boolean);
  } catch {
    return 0;
  }
  return pids.filter(stillRuns).length;
}
