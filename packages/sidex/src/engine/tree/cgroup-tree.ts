// A cgroup per execution: membership is kept by the kernel, so no descendant
// escapes by setsid or reparenting, and a kill cannot lose a fork race.
import fs from 'node:fs';
import path from 'node:path';
import { CgroupFile } from './cgroup-file.js';
import { CpuLedger } from './cpu-ledger.js';
import { findMarked, markerMatcher } from './marker.js';
import { signalPid } from './proc.js';
import type { CgroupVersion } from './cgroup-paths.js';
import type { Sweep, TrackedTree } from './tracked-tree.js';

export type { CgroupVersion };

export function readProcs(dir: string): number[] {
  try {
    return pidsOf(fs.readFileSync(path.join(dir, 'cgroup.procs'), 'latin1'));
  } catch {
    return [];
  }
}

function pidsOf(procs: string): number[] {
  return procs.split('\n').filter(Boolean).map(Number);
}

/** v2 has cgroup.kill; v1 freezes, kills every member, then thaws. */
export function killCgroup(dir: string, version: CgroupVersion): void {
  if (version === 'cgroup2') {
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
      return;
    } catch {
      // kernels before 5.14: fall through to killing members one by one
    }
  }
  const freezer = path.join(dir, 'freezer.state');
  const frozen = version === 'cgroup1' && tryWrite(freezer, 'FROZEN');
  for (let round = 0; round < 5; round++) {
    const pids = readProcsDeep(dir);
    if (pids.length === 0) break;
    for (const pid of pids) signalPid(pid, 'SIGKILL');
  }
  if (frozen) tryWrite(freezer, 'THAWED');
}

/** Members of a cgroup and of all cgroups below it. */
export function readProcsDeep(dir: string): number[] {
  const pids = readProcs(dir);
  for (const sub of subdirs(dir)) pids.push(...readProcsDeep(sub));
  return pids;
}

export function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => path.join(dir, d.name));
  } catch {
    return [];
  }
}

/** SIGKILLs a cgroup tree and removes it; false while it stays (a killed process leaves it only once it has exited). */
export function killAndRemove(dir: string, version: CgroupVersion): boolean {
  killCgroup(dir, version);
  removeCgroupTree(dir);
  return !fs.existsSync(dir);
}

/** Kills and removes the run cgroups under a data directory's `root`, all but `runId`'s. */
export function sweepOtherRunCgroups(root: string, runId: string, version: CgroupVersion): Sweep {
  const killed: number[] = [];
  let gone = true;
  for (const dir of subdirs(root)) {
    if (path.basename(dir) === runId) continue;
    killed.push(...readProcsDeep(dir));
    if (!killAndRemove(dir, version)) gone = false;
  }
  return { killed, gone };
}

/** rmdir a cgroup tree, leaves first. A cgroup with live members stays. */
export function removeCgroupTree(dir: string): void {
  for (const sub of subdirs(dir)) removeCgroupTree(sub);
  try {
    fs.rmdirSync(dir);
  } catch {
    // still populated or already gone
  }
}

export function canCreate(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

export function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // another run still has its cgroup here, or it is gone already
  }
}

function tryWrite(file: string, value: string): boolean {
  try {
    fs.writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

export class CgroupTree implements TrackedTree {
  private readonly matches: (environ: Buffer) => boolean;
  private readonly cpu = new CpuLedger();
  /**
   * Read on every stop and sample: held open (cgroup-file.ts). Not v1's
   * cgroup.procs, which the kernel lists anew only per open file (it keeps
   * the list for a second): a read there would find the exited still in.
   */
  private readonly procs: CgroupFile | undefined;
  private readonly cpuStat: CgroupFile | undefined;
  readonly adopted: Promise<void>;

  constructor(
    readonly rootPid: number,
    private readonly dir: string,
    private readonly version: CgroupVersion,
    marker: string,
    joined: boolean,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    const held = (file: string) => (version === 'cgroup2' ? new CgroupFile(path.join(dir, file)).open() : undefined);
    this.procs = held('cgroup.procs');
    this.cpuStat = held('cpu.stat');
    // Moving a process between cgroups waits for the kernel (~20 ms here): on
    // the thread pool, not the event loop. Until then killAll still finds the
    // root by its marker.
    this.adopted = joined ? Promise.resolve() : fs.promises.writeFile(path.join(dir, 'cgroup.procs'), String(rootPid));
    this.matches = markerMatcher(marker, 'exact');
  }

  members(): number[] {
    return this.procs ? pidsOf(this.procs.read() ?? '') : readProcs(this.dir);
  }

  signalAll(signal: NodeJS.Signals, except?: number): void {
    for (const pid of this.members()) if (pid !== except) signalPid(pid, signal);
  }

  killAll(): void {
    this.killMembers();
    // A root process can move itself to another cgroup; its marker still gives it away.
    for (const pid of findMarked(this.matches)) signalPid(pid, 'SIGKILL');
  }

  killMembers(): void {
    killCgroup(this.dir, this.version);
  }

  /** v2's cgroup.events changes (an inotify event) when the group's last process exits; v1 has nothing to watch. */
  watch(onChange: () => void): (() => void) | undefined {
    if (this.version !== 'cgroup2') return undefined;
    try {
      const watcher = fs.watch(path.join(this.dir, 'cgroup.events'), { persistent: false }, () => onChange());
      watcher.on('error', () => {}); // the group was removed: the waiter's poll sees it empty
      return () => watcher.close();
    } catch {
      return undefined; // out of inotify watches: the waiter polls
    }
  }

  cpuMicros(): number | undefined {
    if (!this.cpuStat) {
      this.cpu.observe(this.members());
      return this.cpu.total();
    }
    const usage = /usage_usec (\d+)/.exec(this.cpuStat.read() ?? '')?.[1];
    return usage === undefined ? undefined : Number(usage);
  }

  release(): void {
    this.procs?.close();
    this.cpuStat?.close();
    removeCgroupTree(this.dir);
  }
}
