// The stop protocol of docs/architecture.md, for one execution:
//  1. the runtime is told to stop (IPC) and every process of the tree gets SIGTERM;
//  2. the runtime aborts ctx.signal, runs onStop handlers, reports the partial
//     result and exits; other processes may clean up;
//  3. when the grace period ends, whatever is left gets SIGKILL;
//  4. it resolves only when no process of the tree remains.
// The same protocol ends the leftovers of an execution that finished by itself.
import type { RuntimeProcess } from '../pool/runtime-process.js';
import { waitForEmptyTree } from './tree-drain.js';

/** After SIGKILL, how long to wait for the kernel to reap the tree before giving up on it. */
const KILL_SETTLE_MS = 10_000;
const KILL_ROUND_MS = 100;

export class StopProtocol {
  private deadline: number;
  private wakeUp: () => void = () => {};
  private wake: Promise<void>;
  private outcome: Promise<boolean> | undefined;

  constructor(
    private readonly runtime: RuntimeProcess,
    graceMs: number,
  ) {
    this.deadline = Date.now() + graceMs;
    this.wake = this.nextWake();
  }

  /** Resolves with whether SIGKILL was needed, once the tree is empty. Idempotent. */
  run(): Promise<boolean> {
    this.outcome ??= this.execute();
    return this.outcome;
  }

  /** A later stop may shorten the grace period; `0` forces at once. */
  shorten(graceMs: number): void {
    const deadline = Date.now() + graceMs;
    if (deadline >= this.deadline) return;
    this.deadline = deadline;
    this.wakeUp();
  }

  private nextWake(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = () => {
        this.wake = this.nextWake();
        resolve();
      };
    });
  }

  private async execute(): Promise<boolean> {
    const { runtime } = this;
    runtime.tree.signalAll('SIGTERM', runtime.askToStop());
    if (await waitForEmptyTree(runtime, () => this.deadline, () => this.wake)) return false;
    runtime.tree.killAll();
    runtime.child.kill('SIGKILL');
    const settleBy = Date.now() + KILL_SETTLE_MS;
    while (Date.now() < settleBy) {
      const roundEnd = Math.min(settleBy, Date.now() + KILL_ROUND_MS);
      if (await waitForEmptyTree(runtime, () => roundEnd, () => never)) return true;
      runtime.tree.killAll(); // a fork that raced the first kill
    }
    return true; // unkillable (stuck in the kernel): reported as forced, not waited on forever
  }
}

const never = new Promise<void>(() => {});
