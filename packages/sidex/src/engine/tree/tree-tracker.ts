import fs from 'node:fs';
import path from 'node:path';
import { CgroupLimits, type LimitGroup, type LimitsMode } from '../limits/cgroup-limits.js';
import { canCreate, CgroupTree, killCgroup, removeCgroupTree, removeIfEmpty, sweepOtherRunCgroups, type CgroupVersion } from './cgroup-tree.js';
import { ownCgroupDir } from './cgroup-paths.js';
import { findMarked, markerMatcher } from './marker.js';
import { signalPid } from './proc.js';
import { ScanTree } from './scan-tree.js';
import { joinSweeps, type Sweep, type TrackedTree, type TreeTracker } from './tracked-tree.js';

export type TrackingMode = 'auto' | 'cgroup2' | 'cgroup1' | 'scan';

export interface TrackerOptions {
  mode: TrackingMode;
  dataKey: string;
  runId: string;
  /** Kernel limits through cgroups (default true). */
  kernelLimits?: boolean;
}

/**
 * Picks the strongest process-tree tracking the machine allows: a cgroup v2
 * (cgroup.kill), a cgroup v1 freezer, or the group + parent chain + marker
 * scan. The cgroups that enforce limits are found independently of it (a
 * machine may track in v2 and limit memory in v1): `prepare` is the engine's
 * (it sets them up), anyone else only finds them to clean them up.
 */
export function createTreeTracker(options: TrackerOptions, limitsMode: Exclude<LimitsMode, 'off'> = 'passive'): TreeTracker {
  const order: CgroupVersion[] =
    options.mode === 'auto' ? ['cgroup2', 'cgroup1'] : options.mode === 'scan' ? [] : [options.mode];
  let found: { version: CgroupVersion; dataRoot: string } | undefined;
  for (const version of order) {
    const dataRoot = cgroupDataRoot(version, options.dataKey);
    if (dataRoot && canCreate(path.join(dataRoot, options.runId))) {
      found = { version, dataRoot };
      break;
    }
  }
  if (!found && options.mode !== 'auto' && options.mode !== 'scan') {
    throw new Error(`process tracking mode ${options.mode} is not available on this machine`);
  }
  const limits = new CgroupLimits(options.dataKey, options.runId, options.kernelLimits === false ? 'off' : limitsMode);
  return found ? new CgroupTracker(found.version, found.dataRoot, options, limits) : new ScanTracker(options, limits);
}

function slotOf(marker: string): string {
  return marker.slice(marker.lastIndexOf('.') + 1);
}

function runMarkerPrefix(o: TrackerOptions): string {
  return `${o.dataKey}.${o.runId}.`;
}

/** Marker scan of a data directory's processes from runs other than ours. */
function killOtherRunsByMarker(o: TrackerOptions): number[] {
  const ours = markerMatcher(runMarkerPrefix(o), 'prefix');
  const sameData = markerMatcher(`${o.dataKey}.`, 'prefix');
  const pids = findMarked((env) => sameData(env) && !ours(env));
  for (const pid of pids) signalPid(pid, 'SIGKILL');
  return pids;
}

class ScanTracker implements TreeTracker {
  readonly kind = 'scan' as const;
  constructor(
    private readonly options: TrackerOptions,
    readonly limits: CgroupLimits,
  ) {}

  joinFiles(marker: string): string[] {
    return this.limitGroup(marker)?.create() ?? [];
  }

  limitGroup(marker: string): LimitGroup | undefined {
    return this.limits.group(slotOf(marker));
  }

  adopt(rootPid: number, marker: string): TrackedTree {
    return new ScanTree(rootPid, marker);
  }

  killRun(): boolean {
    for (const pid of findMarked(markerMatcher(runMarkerPrefix(this.options), 'prefix'))) signalPid(pid, 'SIGKILL');
    return this.limits.removeRun();
  }

  sweepOtherRuns(): Sweep {
    return joinSweeps([this.limits.sweepOtherRuns(), { killed: killOtherRunsByMarker(this.options), gone: true }]);
  }
}

class CgroupTracker implements TreeTracker {
  readonly kind: CgroupVersion;
  private readonly runDir: string;

  constructor(
    private readonly version: CgroupVersion,
    private readonly dataRoot: string,
    private readonly options: TrackerOptions,
    readonly limits: CgroupLimits,
  ) {
    this.kind = version;
    this.runDir = path.join(dataRoot, options.runId);
  }

  joinFiles(marker: string): string[] {
    const dir = this.dirOf(marker);
    fs.mkdirSync(dir, { recursive: true });
    const own = path.join(dir, 'cgroup.procs');
    return [own, ...(this.limitGroup(marker)?.create() ?? []).filter((file) => file !== own)];
  }

  limitGroup(marker: string): LimitGroup | undefined {
    return this.limits.group(slotOf(marker));
  }

  adopt(rootPid: number, marker: string, options: { joined?: boolean } = {}): TrackedTree {
    return new CgroupTree(rootPid, this.dirOf(marker), this.version, marker, options.joined ?? false);
  }

  private dirOf(marker: string): string {
    return path.join(this.runDir, slotOf(marker));
  }

  killRun(): boolean {
    killCgroup(this.runDir, this.version);
    for (const pid of findMarked(markerMatcher(runMarkerPrefix(this.options), 'prefix'))) signalPid(pid, 'SIGKILL');
    removeCgroupTree(this.runDir);
    // The data directory's cgroup too, once no run of it is left: one per data directory ever served would pile up.
    removeIfEmpty(this.dataRoot);
    const limitsGone = this.limits.removeRun();
    return !fs.existsSync(this.runDir) && limitsGone;
  }

  sweepOtherRuns(): Sweep {
    return joinSweeps([
      this.limits.sweepOtherRuns(),
      sweepOtherRunCgroups(this.dataRoot, this.options.runId, this.version),
      { killed: killOtherRunsByMarker(this.options), gone: true },
    ]);
  }
}

/** <our own cgroup>/sidex/<dataKey> in that hierarchy, or undefined when it is absent. */
export function cgroupDataRoot(version: CgroupVersion, dataKey: string): string | undefined {
  const own = ownCgroupDir(version === 'cgroup2' ? { version } : { version, controller: 'freezer' });
  return own === undefined ? undefined : path.join(own, 'sidex', dataKey);
}
