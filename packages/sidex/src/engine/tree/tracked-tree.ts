import type { CgroupLimits, LimitGroup } from '../limits/cgroup-limits.js';

/** The processes of one execution: its runtime and every descendant. */
export interface TrackedTree {
  readonly rootPid: number;
  /**
   * Resolves once the backend tracks the root (for cgroups: it has joined its
   * cgroup, a write the kernel can take ~20 ms over, done off the event loop).
   * A runtime is not ready, so runs no code, before.
   */
  readonly adopted: Promise<void>;
  /** Live (non-zombie) processes of the tree. */
  members(): number[];
  /** Signals every process of the tree but `except` (the runtime, told already: its code's listeners hear a signal once). */
  signalAll(signal: NodeJS.Signals, except?: number): void;
  /** SIGKILL every process of the tree, closing fork races where the backend can. */
  killAll(): void;
  /**
   * SIGKILL the processes the backend holds (a cgroup's members, the process
   * group), without the whole-machine search for ones that left it: for a
   * tree nothing can leave (a sandbox's PID namespace).
   */
  killMembers(): void;
  /**
   * Calls `onChange` whenever the kernel reports the membership may have
   * changed (a cgroup v2's populated state), so that a wait for the tree to
   * empty need not poll; answers how to stop watching. Undefined where the
   * backend cannot tell: callers poll.
   */
  watch(onChange: () => void): (() => void) | undefined;
  /** CPU time of the whole tree, exited members included, when the backend can tell. */
  cpuMicros(): number | undefined;
  /** Forget the tree once it is empty (removes its cgroup); a promise when there is more to let go of (a sandbox's). */
  release(): void | Promise<void>;
}

export interface Sweep {
  killed: number[];
  gone: boolean;
}

/** One sweep of several: every pid killed, once; gone when each part is. */
export function joinSweeps(parts: Sweep[]): Sweep {
  return { killed: [...new Set(parts.flatMap((part) => part.killed))], gone: parts.every((part) => part.gone) };
}

export interface TreeTracker {
  readonly kind: 'cgroup2' | 'cgroup1' | 'scan';
  /** The cgroups that enforce limits, whichever way trees are tracked. */
  readonly limits: CgroupLimits;
  /**
   * Creates the tree's cgroups, tracking and limits alike, and answers the
   * files a process writes its own pid into to join them all before it starts
   * anything (every launch does): none without cgroups.
   */
  joinFiles(marker: string): string[];
  /** The limit cgroups of the tree with this marker, when limits are enforced by cgroups. */
  limitGroup(marker: string): LimitGroup | undefined;
  /** Called right after spawn, before the runtime runs any user code; `joined`: it joined by itself. */
  adopt(rootPid: number, marker: string, options?: { joined?: boolean }): TrackedTree;
  /**
   * SIGKILL every process of this tracker's run (shutdown, guardian) and remove
   * its cgroups; answers whether they are gone (a killed process leaves its
   * cgroup only once it has exited: call again a moment later).
   */
  killRun(): boolean;
  /**
   * SIGKILL survivors of other runs that used the same data directory and
   * remove their cgroups; answers the pids killed and whether those cgroups
   * are gone (as killRun: call again once the killed have exited).
   */
  sweepOtherRuns(): Sweep;
}
