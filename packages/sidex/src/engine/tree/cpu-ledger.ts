import { readStat } from './proc.js';

/**
 * CPU time of a tree from /proc, for backends that cannot ask the kernel for
 * the total: the last value seen of every member, exited ones included.
 */
export class CpuLedger {
  private readonly byPid = new Map<number, number>();

  record(pid: number, cpuMicros: number): void {
    this.byPid.set(pid, cpuMicros);
  }

  observe(pids: readonly number[]): void {
    for (const pid of pids) {
      const stat = readStat(pid);
      if (stat) this.record(pid, stat.cpuMicros);
    }
  }

  total(): number {
    let sum = 0;
    for (const micros of this.byPid.values()) sum += micros;
    return sum;
  }
}
