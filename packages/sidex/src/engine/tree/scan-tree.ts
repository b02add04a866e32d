// Fallback when no cgroup is writable: the process group, the parent chain and
// the environment marker together find every descendant, including those that
// called setsid (new group) and were then reparented to init.
import { CpuLedger } from './cpu-ledger.js';
import { markerMatcher } from './marker.js';
import { listPids, readEnviron, readStat, signalPid, type ProcStat } from './proc.js';
import type { TrackedTree } from './tracked-tree.js';

export class ScanTree implements TrackedTree {
  private readonly matches: (environ: Buffer) => boolean;
  private readonly cpu = new CpuLedger();
  readonly adopted = Promise.resolve();

  constructor(
    readonly rootPid: number,
    marker: string,
  ) {
    this.matches = markerMatcher(marker, 'exact');
  }

  members(): number[] {
    const stats = listPids()
      .map(readStat)
      .filter((s): s is ProcStat => s !== undefined && s.pid !== process.pid);
    const inTree = new Set<number>();
    for (const s of stats) {
      if (s.pid === this.rootPid || s.pgid === this.rootPid) inTree.add(s.pid);
    }
    for (const s of stats) {
      if (inTree.has(s.pid)) continue;
      const environ = readEnviron(s.pid);
      if (environ && this.matches(environ)) inTree.add(s.pid);
    }
    // Descendants through the parent chain, to a fixed point.
    let grew = true;
    while (grew) {
      grew = false;
      for (const s of stats) {
        if (!inTree.has(s.pid) && inTree.has(s.ppid)) {
          inTree.add(s.pid);
          grew = true;
        }
      }
    }
    const live: number[] = [];
    for (const s of stats) {
      if (!inTree.has(s.pid) || s.state === 'Z' || s.state === 'X') continue;
      live.push(s.pid);
      this.cpu.record(s.pid, s.cpuMicros);
    }
    return live;
  }

  signalAll(signal: NodeJS.Signals, except?: number): void {
    for (const pid of this.members()) if (pid !== except) signalPid(pid, signal);
  }

  killAll(): void {
    // Stop the group first so no member can fork while the scan runs.
    this.killMembers();
    for (let round = 0; round < 5; round++) {
      const left = this.members();
      if (left.length === 0) return;
      for (const pid of left) signalPid(pid, 'SIGKILL');
    }
  }

  killMembers(): void {
    signalPid(-this.rootPid, 'SIGKILL');
  }

  /** Nothing tells of a process's exit but its parent: the waiter polls. */
  watch(): undefined {
    return undefined;
  }

  cpuMicros(): number {
    // The ledger learns of members only by a scan: the sampler may not have made one (a cgroup counts the memory).
    this.members();
    return this.cpu.total();
  }

  release(): void {}
}
