import { readRssBytes } from '../tree/proc.js';
import type { TrackedTree } from '../tree/tracked-tree.js';

export interface SampleTarget {
  tree: TrackedTree;
  /** The memory a cgroup counts for the tree; absent (or undefined), the members' RSS is summed. */
  memory?: () => number | undefined;
  onSample(memoryBytes: number, cpuMicros: number | undefined): void;
  /** The tree's CPU time alone (finish()). */
  onCpu(cpuMicros: number | undefined): void;
}

/** One timer samples the memory and CPU of every running tree. */
export class ResourceSampler {
  private readonly targets = new Set<SampleTarget>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  add(target: SampleTarget): void {
    this.targets.add(target);
    this.timer ??= setInterval(() => this.tick(), this.intervalMs).unref();
  }

  delete(target: SampleTarget): void {
    this.targets.delete(target);
    if (this.targets.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  sample(target: SampleTarget): void {
    let bytes = target.memory?.();
    if (bytes === undefined) {
      bytes = 0;
      for (const pid of target.tree.members()) bytes += readRssBytes(pid);
    }
    target.onSample(bytes, target.tree.cpuMicros());
  }

  /**
   * The last sample of a tree that is gone: its CPU time, now counted to the
   * end. Neither its memory (nothing of it holds any; a limit group's peak is
   * read apart) nor the limit counters (no limit can end it any more; the
   * verdict reads them itself) are read: ~0.1–0.2 ms of file reads here.
   */
  finish(target: SampleTarget): void {
    this.delete(target);
    target.onCpu(target.tree.cpuMicros());
  }

  private tick(): void {
    for (const target of this.targets) this.sample(target);
  }

  close(): void {
    this.targets.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
