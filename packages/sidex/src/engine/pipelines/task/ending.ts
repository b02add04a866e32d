// A task asked to end (terminate, its idle ttl, the server's shutdown) lets
// the items in progress finish until the drain deadline, cancels what is
// left, decides its final status, then ends its process. Later requests share
// that outcome: they may bring the end closer, never push it back.
import { TaskState, type TaskStatus } from '../task-state.js';
import type { ItemCounters } from './counters.js';
import { Deadline } from './deadline.js';
import type { TaskSettings } from './settings.js';
import type { TaskProcess } from './task-process.js';

/** Why a task ends, when it is asked to. */
export type EndReason = 'terminate' | 'ttl' | 'shutdown';

/** What an ending needs of its task. */
export interface EndingTask {
  process: TaskProcess;
  counters: ItemCounters;
  isEnded(): boolean;
  /** Resolves once no item is in progress. */
  whenIdle(): Promise<void>;
  /** Cancels every item still in progress; answers whether there was none. */
  cancelRemaining(why: string): boolean;
  /** Records the end's time and message, and answers the final status. */
  conclude(state: TaskState, exitMessage: string): TaskStatus;
}

export class Ending {
  private forced = false;
  private readonly deadline: Deadline;
  /** The final status, decided before the process is ended (and kept with its record). */
  private decided: TaskStatus | undefined;
  /** Resolves when the task has ended. */
  readonly done: Promise<void>;

  /** The task accepts nothing new by now. */
  constructor(
    private reason: EndReason,
    drainMs: number,
    private readonly task: EndingTask,
    private readonly settings: Pick<TaskSettings, 'graceMs' | 'ttlSec'>,
  ) {
    this.deadline = new Deadline(drainMs);
    this.done = this.run(drainMs);
  }

  get planned(): TaskStatus | undefined {
    return this.decided;
  }

  /** A terminate meanwhile: an idle expiry becomes a terminate, unless its status is decided already. */
  terminate(options: { drainMs?: number; force?: boolean }): Promise<void> {
    if (!this.decided) this.reason = 'terminate';
    if (options.force) this.force();
    else if (options.drainMs !== undefined) this.deadline.shorten(options.drainMs);
    return this.done;
  }

  /** A shutdown meanwhile: its own deadline may be sooner. */
  shutdown(drainMs: number): Promise<void> {
    this.deadline.shorten(drainMs);
    return this.done;
  }

  /** Cancels at once and ends the process without grace. */
  force(): void {
    this.forced = true;
    this.deadline.shorten(0);
    if (this.decided) void this.task.process.stop({ force: true });
  }

  /** The process has ended. */
  cancel(): void {
    this.deadline.cancel();
  }

  private async run(drainMs: number): Promise<void> {
    const { task } = this;
    await Promise.race([task.whenIdle(), this.deadline.passed, task.process.ended.promise]);
    this.deadline.cancel();
    if (task.isEnded()) return; // the process ended by itself meanwhile
    const drained = task.cancelRemaining(`the drain deadline of ${drainMs} ms passed`);
    const state = this.reason === 'ttl' ? TaskState.COMPLETED : TaskState.CANCELLED;
    this.decided = task.conclude(state, this.exitMessage(drained));
    task.process.setProgress(this.decided);
    if (this.reason === 'ttl') await task.process.endGently(this.settings.graceMs);
    else {
      const graceMs = this.forced ? 0 : this.settings.graceMs;
      await task.process.stop({ graceMs, reason: this.reason === 'shutdown' ? 'shutdown' : 'user' });
    }
    await task.process.ended.promise;
  }

  private exitMessage(drained: boolean): string {
    const c = this.task.counters;
    const counts = `${c.completedCount} completed, ${c.failedCount} failed, ${c.cancelledCount} cancelled, ${c.refusedCount} refused`;
    if (this.reason === 'ttl') return `idle for ${this.settings.ttlSec} s: the task's ttl expired (${counts})`;
    return `${this.reason === 'shutdown' ? 'the server shut down' : 'terminated'}${drained ? '' : ' after the drain deadline'} (${counts})`;
  }
}
