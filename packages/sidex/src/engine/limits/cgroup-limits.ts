// Limits the kernel enforces on an execution's processes through cgroups of
// its own: memory (the OOM killer ends what passes it), tasks (a fork or a new
// thread fails) and CPU time (throttled). Each controller is taken from the
// unified hierarchy when it can be enabled there, else from its v1 hierarchy;
// the execution's cgroup in each lies below this process's own cgroup there,
// so sidex needs no rights beyond its own subtree. Runtimes join every one of
// them before they exec (sandbox/launch.ts), so nothing runs uncounted.
import fs from 'node:fs';
import path from 'node:path';
import { SidexError } from '../../errors.js';
import { ownCgroupDir, SERVER_LEAF, unifiedMountPoint, type CgroupVersion } from '../tree/cgroup-paths.js';
import { CgroupFile } from '../tree/cgroup-file.js';
import { canCreate, killAndRemove, readProcs, removeCgroupTree, removeIfEmpty, sweepOtherRunCgroups } from '../tree/cgroup-tree.js';
import { joinSweeps, type Sweep } from '../tree/tracked-tree.js';

export const LIMIT_CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
export type LimitController = (typeof LIMIT_CONTROLLERS)[number];

export interface ExecutionLimits {
  /** Bytes; absent: none. */
  memoryLimitBytes?: number;
  /** Tasks (processes and threads) at once; absent: none. */
  pidsLimit?: number;
  /** Cores, 0.5 being half of one; absent: none. */
  cpuLimit?: number;
}

export interface LimitEvents {
  /** Processes the OOM killer ended because the group passed its memory limit. */
  oomKills: number;
  /** Forks and new threads refused at the task limit. */
  pidsLimitHits: number;
}

/**
 * `prepare`: the engine's; enables v2 controllers (moving the server into a
 * leaf when it must and may) and creates this run's cgroups. `passive`: the
 * guardian's and probes'; only finds where this run's cgroups would be, to
 * remove them. `off`: no kernel limits.
 */
export type LimitsMode = 'prepare' | 'passive' | 'off';

interface Place {
  version: CgroupVersion;
  /** <own cgroup>/sidex/<dataKey> in the controller's hierarchy. */
  dataRoot: string;
}

const CFS_PERIOD_US = 100_000;
/** The kernel refuses quotas under 1 ms. */
const MIN_CFS_QUOTA_US = 1000;
/** A file of each v1 controller that shows the controller really is there (a read-only or odd mount may lack it). */
const V1_PROBE: Record<LimitController, string> = { memory: 'memory.limit_in_bytes', pids: 'pids.max', cpu: 'cpu.cfs_quota_us' };

export class CgroupLimits {
  /** Which hierarchy enforces each limit; a controller absent here is not enforced by the kernel. */
  readonly kinds: Partial<Record<LimitController, CgroupVersion>> = {};
  private readonly places = new Map<LimitController, Place>();

  constructor(
    dataKey: string,
    private readonly runId: string,
    mode: LimitsMode,
  ) {
    if (mode === 'off') return;
    const unified = mode === 'prepare' ? prepareUnified(dataKey, runId) : findUnified(dataKey, runId);
    for (const controller of LIMIT_CONTROLLERS) {
      if (unified?.controllers.has(controller)) {
        this.places.set(controller, { version: 'cgroup2', dataRoot: unified.dataRoot });
        continue;
      }
      const own = ownCgroupDir({ version: 'cgroup1', controller });
      if (own === undefined) continue;
      const dataRoot = path.join(own, 'sidex', dataKey);
      const runDir = path.join(dataRoot, runId);
      if (mode === 'prepare' && !(canCreate(runDir) && fs.existsSync(path.join(runDir, V1_PROBE[controller])))) continue;
      this.places.set(controller, { version: 'cgroup1', dataRoot });
    }
    if (mode === 'prepare') for (const [controller, place] of this.places) this.kinds[controller] = place.version;
  }

  /** The cgroups of the runtime in `slot`; undefined when no limit is enforced by cgroups. */
  group(slot: string): LimitGroup | undefined {
    if (this.places.size === 0) return undefined;
    const dirs: Partial<Record<LimitController, GroupDir>> = {};
    for (const [controller, place] of this.places) dirs[controller] = { version: place.version, dir: path.join(place.dataRoot, this.runId, slot) };
    return new LimitGroup(dirs);
  }

  /** Kills what is left in this run's cgroups and removes them; answers whether they are gone. */
  removeRun(): boolean {
    let gone = true;
    for (const place of this.distinctPlaces()) {
      if (!killAndRemove(path.join(place.dataRoot, this.runId), place.version)) gone = false;
      removeIfEmpty(place.dataRoot);
    }
    return gone;
  }

  /** Kills and removes the cgroups of other runs of the same data directory. */
  sweepOtherRuns(): Sweep {
    return joinSweeps(this.distinctPlaces().map((place) => sweepOtherRunCgroups(place.dataRoot, this.runId, place.version)));
  }

  private distinctPlaces(): Place[] {
    const byRoot = new Map<string, Place>();
    for (const place of this.places.values()) byRoot.set(place.dataRoot, place);
    return [...byRoot.values()];
  }
}

interface GroupDir {
  version: CgroupVersion;
  dir: string;
}

/** One runtime's cgroups: its limits, and what the kernel counted against them. */
export class LimitGroup {
  /**
   * What apply() last set in each controller. The same value is not written
   * again: a claim that asks for the limits the warm runtime was booted with
   * (the common case) writes no cgroup file, ~0.8 ms off a start here.
   */
  private readonly applied = new Map<LimitController, string>();

  /** Read by every sample and every end: held open (cgroup-file.ts). */
  private readonly memoryFiles: { usage: CgroupFile; peak: CgroupFile } | undefined;

  constructor(private readonly dirs: Partial<Record<LimitController, GroupDir>>) {
    const memory = dirs.memory;
    const v2 = memory?.version === 'cgroup2';
    this.memoryFiles = memory && {
      usage: new CgroupFile(path.join(memory.dir, v2 ? 'memory.current' : 'memory.usage_in_bytes')),
      peak: new CgroupFile(path.join(memory.dir, v2 ? 'memory.peak' : 'memory.max_usage_in_bytes')),
    };
  }

  /** Creates the cgroups; answers the cgroup.procs files the runtime writes its pid into. */
  create(): string[] {
    const files = new Set<string>();
    for (const { dir } of Object.values(this.dirs)) {
      fs.mkdirSync(dir, { recursive: true });
      files.add(path.join(dir, 'cgroup.procs'));
    }
    return [...files];
  }

  /**
   * Opens the counters a sample and an end read, off their path. Only on the
   * group a runtime keeps: joinFiles makes a group of its own just to create
   * the cgroups, and what that one opened would never be closed.
   */
  holdCounters(): void {
    this.memoryFiles?.usage.open();
    this.memoryFiles?.peak.open();
  }

  /** Which limits this group enforces. */
  has(controller: LimitController): boolean {
    return this.dirs[controller] !== undefined;
  }

  /**
   * Sets every limit this group enforces (absent values lift it). A limit
   * the kernel refuses throws: running the code without it would break the
   * promise the limit makes.
   */
  apply(limits: ExecutionLimits): void {
    const { memory, pids, cpu } = this.dirs;
    const pidsMax = limits.pidsLimit ? String(Math.floor(limits.pidsLimit)) : 'max';
    if (memory) this.once('memory', String(limits.memoryLimitBytes), () => setMemory(memory, limits.memoryLimitBytes));
    if (pids) this.once('pids', pidsMax, () => writeLimit(pids.dir, 'pids.max', pidsMax));
    if (cpu) this.once('cpu', String(limits.cpuLimit), () => setCpu(cpu, limits.cpuLimit));
  }

  /** A write that failed leaves the controller's value unknown: the next apply writes it again. */
  private once(controller: LimitController, value: string, write: () => void): void {
    if (this.applied.get(controller) === value) return;
    this.applied.delete(controller);
    write();
    this.applied.set(controller, value);
  }

  /** Bytes charged to the group now: process memory, page cache and kernel memory it caused. */
  memoryUsage(): number | undefined {
    return numberIn(this.memoryFiles?.usage.read());
  }

  /** The most ever charged to the group (v2 before Linux 5.19 cannot tell). */
  memoryPeak(): number | undefined {
    return numberIn(this.memoryFiles?.peak.read());
  }

  events(): LimitEvents {
    const { memory, pids } = this.dirs;
    return {
      oomKills: memory ? readKey(memory.dir, memory.version === 'cgroup2' ? 'memory.events' : 'memory.oom_control', 'oom_kill') : 0,
      pidsLimitHits: pids ? readKey(pids.dir, 'pids.events', 'max') : 0,
    };
  }

  /** Removes the cgroups once empty. */
  release(): void {
    this.memoryFiles?.usage.close();
    this.memoryFiles?.peak.close();
    for (const dir of new Set(Object.values(this.dirs).map((d) => d.dir))) removeCgroupTree(dir);
  }
}

function setMemory({ version, dir }: GroupDir, bytes: number | undefined): void {
  if (version === 'cgroup2') {
    writeLimit(dir, 'memory.max', bytes === undefined ? 'max' : String(bytes), bytes);
    // Swap would let the group hold more than the limit; the file is absent without swap accounting.
    if (fs.existsSync(path.join(dir, 'memory.swap.max'))) writeLimit(dir, 'memory.swap.max', '0');
    return;
  }
  const value = bytes === undefined ? '-1' : String(bytes);
  const withSwap = fs.existsSync(path.join(dir, 'memory.memsw.limit_in_bytes'));
  const raising = bytes === undefined || bytes > (readNumber(dir, 'memory.limit_in_bytes') ?? Infinity);
  // memory+swap may never be under memory alone: raised first, lowered last. Equal, swap adds nothing.
  if (withSwap && raising) writeLimit(dir, 'memory.memsw.limit_in_bytes', value);
  writeLimit(dir, 'memory.limit_in_bytes', value, bytes);
  if (withSwap && !raising) writeLimit(dir, 'memory.memsw.limit_in_bytes', value);
}

function setCpu({ version, dir }: GroupDir, cores: number | undefined): void {
  const quota = cores === undefined ? undefined : Math.max(MIN_CFS_QUOTA_US, Math.round(cores * CFS_PERIOD_US));
  if (version === 'cgroup2') return writeLimit(dir, 'cpu.max', `${quota ?? 'max'} ${CFS_PERIOD_US}`);
  if (quota !== undefined) writeLimit(dir, 'cpu.cfs_period_us', String(CFS_PERIOD_US));
  writeLimit(dir, 'cpu.cfs_quota_us', quota === undefined ? '-1' : String(quota));
}

function writeLimit(dir: string, file: string, value: string, memoryBytes?: number): void {
  try {
    fs.writeFileSync(path.join(dir, file), value);
  } catch (err) {
    // v1 refuses a memory limit under what the group holds and cannot reclaim: the idle runtime itself.
    if ((err as NodeJS.ErrnoException).code === 'EBUSY' && memoryBytes !== undefined) {
      const usage = readNumber(dir, 'memory.usage_in_bytes');
      throw new SidexError('MEMORY_LIMIT', `the memory limit of ${memoryBytes} bytes is below what the runtime holds before running any code${usage ? ` (${usage} bytes)` : ''}`);
    }
    throw new Error(`cannot set ${file} to ${value}: ${(err as Error).message}`);
  }
}

function readNumber(dir: string, file: string): number | undefined {
  try {
    return numberIn(fs.readFileSync(path.join(dir, file), 'latin1'));
  } catch {
    return undefined;
  }
}

function numberIn(text: string | undefined): number | undefined {
  // Number('') is 0: an unreadable file is no value, not zero.
  const value = text?.trim() ? Number(text) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

/** The value of `key` in a flat keyed file (memory.events, memory.oom_control, pids.events). */
function readKey(dir: string, file: string, key: string): number {
  try {
    for (const line of fs.readFileSync(path.join(dir, file), 'latin1').split('\n')) {
      const [name, value] = line.split(' ');
      if (name === key) return Number(value) || 0;
    }
  } catch {
    // gone with its group, or a kernel without the counter
  }
  return 0;
}

function readWords(file: string): string[] {
  try {
    return fs.readFileSync(file, 'latin1').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** Enables what it can of `controllers` for the children of `dir`; answers what is enabled there now. */
function enableBelow(dir: string, controllers: readonly string[]): Set<string> {
  const file = path.join(dir, 'cgroup.subtree_control');
  for (const c of controllers) {
    if (readWords(file).includes(c)) continue;
    try {
      fs.writeFileSync(file, `+${c}`);
    } catch {
      // not delegated to us, or processes in `dir` (v2's no-internal-processes rule)
    }
  }
  return new Set(readWords(file).filter((c) => controllers.includes(c)));
}

/**
 * Enables memory, pids and cpu from the server's own cgroup down to this
 * run's. v2 lets a cgroup other than the root hand controllers down only when
 * no process is in it, and the server usually is in its own cgroup. The
 * decision: when the server is the only process there, it moves itself into
 * a `sidex-server` leaf below it, and its cgroup becomes a plain parent (what
 * a systemd service with Delegate=yes is meant to do). When other processes
 * share it (a login shell, a container's init), they are not ours to move:
 * the limits that need those controllers fall back (memory to sampling).
 */
function prepareUnified(dataKey: string, runId: string): { dataRoot: string; controllers: Set<string> } | undefined {
  const own = ownCgroupDir({ version: 'cgroup2' });
  if (own === undefined) return undefined;
  const wanted = LIMIT_CONTROLLERS.filter((c) => readWords(path.join(own, 'cgroup.controllers')).includes(c));
  if (wanted.length === 0) return undefined;
  let enabled = enableBelow(own, wanted);
  if (enabled.size < wanted.length && own !== unifiedMountPoint() && moveServerToLeaf(own)) enabled = enableBelow(own, wanted);
  let dir = own;
  for (const part of ['sidex', dataKey, runId]) {
    dir = path.join(dir, part);
    if (enabled.size === 0 || !canCreate(dir)) return undefined;
    enabled = enableBelow(dir, [...enabled]);
  }
  return { dataRoot: path.join(own, 'sidex', dataKey), controllers: enabled };
}

/** Where this run's v2 limit cgroups are, without changing anything (the guardian's view). */
function findUnified(dataKey: string, runId: string): { dataRoot: string; controllers: Set<string> } | undefined {
  const own = ownCgroupDir({ version: 'cgroup2' });
  if (own === undefined) return undefined;
  const dataRoot = path.join(own, 'sidex', dataKey);
  const enabled = readWords(path.join(dataRoot, runId, 'cgroup.subtree_control'));
  return { dataRoot, controllers: new Set(LIMIT_CONTROLLERS.filter((c) => enabled.includes(c))) };
}

function moveServerToLeaf(own: string): boolean {
  if (readProcs(own).some((pid) => pid !== process.pid)) return false;
  const leaf = path.join(own, SERVER_LEAF);
  if (!canCreate(leaf)) return false;
  try {
    fs.writeFileSync(path.join(leaf, 'cgroup.procs'), String(process.pid));
    return true;
  } catch {
    return false;
  }
}
