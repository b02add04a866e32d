import pc from 'picocolors';
import type { TaskStatus } from '@sidex/client';

/** Items that have finished one way or another. */
export const finishedCount = (s: TaskStatus) => s.completedCount + s.failedCount + s.cancelledCount;

/** The counts of a task in one line, plain. */
export function countsLine(s: TaskStatus): string {
  return `${s.completedCount} completed, ${s.failedCount} failed, ${s.cancelledCount} cancelled, ${s.refusedCount} refused, ${s.inProgressCount} in progress of ${s.totalCount}`;
}

/**
 * One line for a terminal: a bar of the items finished out of those accepted
 * (green completed, red failed, yellow cancelled), the counts, the rate and
 * the state.
 */
export function progressLine(s: TaskStatus, width: number): string {
  const barWidth = Math.max(10, Math.min(40, width - 70));
  const total = Math.max(s.totalCount, 1);
  const cells = (n: number) => Math.round((n / total) * barWidth);
  const done = cells(s.completedCount);
  const failed = cells(s.failedCount);
  const cancelled = cells(s.cancelledCount);
  const rest = Math.max(0, barWidth - done - failed - cancelled);
  const bar = pc.green('█'.repeat(done)) + pc.red('█'.repeat(failed)) + pc.yellow('█'.repeat(cancelled)) + pc.dim('░'.repeat(rest));
  const counts = `${finishedCount(s)}/${s.totalCount} · ${pc.green(`${s.completedCount} ok`)} · ${pc.red(`${s.failedCount} failed`)} · ${pc.yellow(`${s.cancelledCount} cancelled`)} · ${s.inProgressCount} in progress`;
  return `${bar} ${counts} · ${s.rateCount}/s · ${s.status}`;
}
