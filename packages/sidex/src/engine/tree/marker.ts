// Every runtime is spawned with SIDEX_MARK=<dataKey>.<runId>.<slot> in its
// environment, and its descendants inherit it. The marker finds processes that
// left the process group (setsid) or were reparented, and survivors of a
// previous server run.
import { createHash, randomBytes } from 'node:crypto';
import { listPids, readEnviron } from './proc.js';

export const MARKER_VAR = 'SIDEX_MARK';

export function dataKeyOf(dataDir: string): string {
  return createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Matches environments whose marker is `value` (exact) or starts with `value`
 * (a prefix such as `<dataKey>.<runId>.`, for every slot of a run).
 */
export function markerMatcher(value: string, mode: 'exact' | 'prefix'): (environ: Buffer) => boolean {
  const field = Buffer.from(`${MARKER_VAR}=${value}${mode === 'exact' ? '\0' : ''}`);
  const inner = Buffer.concat([Buffer.from('\0'), field]);
  return (environ) => environ.subarray(0, field.length).equals(field) || environ.includes(inner);
}

/** Live pids (other than this process) whose environment the matcher accepts. */
export function findMarked(matches: (environ: Buffer) => boolean, skip: ReadonlySet<number> = new Set()): number[] {
  const found: number[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid || skip.has(pid)) continue;
    const environ = readEnviron(pid);
    if (environ && matches(environ)) found.push(pid);
  }
  return found;
}
