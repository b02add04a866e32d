import { readRssBytes } from '../tree/proc.js';
import type { TrackedTree } from '../tree/tracked-tree.js';

export interface SampleTarget {
  tree: TrackedTree;
  /** The memory a cgroup counts for the tree; absent (or undefined), the members' RSS is summed. */
  memory?: () => number | undefined;
  onSample(memoryBytes: number, cpuMicros: number | undefined): void;
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

  private tick(): void {
    for (const target of this.targets) this.sample(target);
  }

  close(): void {
    this.targets.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
