// Where this process's own cgroups are, per hierarchy: the unified (v2) one,
// or the v1 hierarchy that carries a given controller. Execution cgroups are
// made below them, so sidex needs no more rights than over its own cgroup.
import fs from 'node:fs';
import path from 'node:path';

export type CgroupVersion = 'cgroup2' | 'cgroup1';

/** The unified hierarchy, or the v1 hierarchy mounted with `controller`. */
export type Hierarchy = { version: 'cgroup2' } | { version: 'cgroup1'; controller: string };

/**
 * The leaf a v2 server moves itself into so that controllers can be enabled
 * in its own cgroup (v2 forbids processes in a cgroup that hands controllers
 * down). Its parent stands for the server's cgroup, for every engine and
 * guardian of the process, whether they look before or after the move.
 */
export const SERVER_LEAF = 'sidex-server';

interface Mount {
  /** Where the hierarchy is mounted here. */
  point: string;
  /** Which cgroup of the hierarchy the mount shows at `point` (a container's own, often). */
  root: string;
}

function findMount(h: Hierarchy): Mount | undefined {
  let info: string;
  try {
    info = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of info.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const [fsType, , superOptions = ''] = right.split(' ');
    const mount = { point: fields[4] ?? '', root: fields[3] ?? '/' };
    if (h.version === 'cgroup2' && fsType === 'cgroup2') return mount;
    if (h.version === 'cgroup1' && fsType === 'cgroup' && superOptions.split(',').includes(h.controller)) return mount;
  }
  return undefined;
}

/** This process's cgroup in the hierarchy, as /proc/self/cgroup names it (relative to the hierarchy's root). */
function ownCgroupPath(h: Hierarchy): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [id, controllers, ...rest] = line.split(':');
    const cgPath = rest.join(':');
    if (!rest.length) continue;
    if (h.version === 'cgroup2' && id === '0' && controllers === '') {
      return path.basename(cgPath) === SERVER_LEAF ? path.dirname(cgPath) : cgPath;
    }
    if (h.version === 'cgroup1' && controllers?.split(',').includes(h.controller)) return cgPath;
  }
  return undefined;
}

/** The directory of this process's own cgroup in the hierarchy, or undefined when it is not mounted here. */
export function ownCgroupDir(h: Hierarchy): string | undefined {
  const mount = findMount(h);
  const own = ownCgroupPath(h);
  if (!mount || own === undefined) return undefined;
  if (mount.root === '/') return path.join(mount.point, own);
  // A mount of part of the hierarchy: our cgroup must lie inside it to be reachable.
  const rel = path.relative(mount.root, own);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return path.join(mount.point, rel);
}

/** The mount point of the unified hierarchy, when there is one. */
export function unifiedMountPoint(): string | undefined {
  return findMount({ version: 'cgroup2' })?.point;
}
