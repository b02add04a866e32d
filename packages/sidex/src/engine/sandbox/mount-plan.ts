// What a sandbox sees of the file system. Everything not listed here does not
// exist inside: the root is an empty tmpfs, so the data directory (database,
// key file, other executions' scratch and logs), home directories and the
// server's config are simply absent rather than forbidden.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MountPlan {
  /** Bound read-only at the same path. Missing ones are skipped. */
  readOnly: string[];
  /** Bound read-write at the same path (the scratch directory, configured extras). */
  readWrite: string[];
  /** Made invisible even when they lie inside a read-only path (the data directory, the config file). */
  hidden: string[];
}

/** The system: programs, libraries and /etc (certificates, resolv.conf, passwd); never /home, /root, /var or /srv. */
const SYSTEM_PATHS = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

const sidexPackageDir = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Node itself (when installed outside /usr) and sidex's own code: the runtime,
 * the pipeline host and built-in blocks, and the node_modules directories
 * Node's resolution walks up through.
 */
export function codePaths(): string[] {
  const paths = [path.dirname(path.dirname(fs.realpathSync(process.execPath))), sidexPackageDir];
  for (let dir = sidexPackageDir; ; dir = path.dirname(dir)) {
    const modules = path.join(dir, 'node_modules');
    if (fs.existsSync(modules)) paths.push(fs.realpathSync(modules));
    if (path.dirname(dir) === dir) break;
  }
  return [...new Set(paths)].filter((p) => !SYSTEM_PATHS.some((s) => within(p, s)));
}

export function within(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** bwrap arguments for the file system: order matters, later mounts cover earlier ones. */
export function mountArgs(plan: MountPlan): string[] {
  const args: string[] = [];
  for (const p of SYSTEM_PATHS) args.push(...systemMount(p));
  // First, so that roots and scratch directories under /tmp are bound on top of the private /tmp.
  // bwrap makes a tmpfs 0755 and its own: under a root server the code runs as
  // another uid, so /tmp and /dev/shm (mktemp, Python's multiprocessing locks) are
  // made sticky and world-writable, as on a host; nobody else is inside to share them.
  args.push('--proc', '/proc', '--dev', '/dev', ...sharedTmpfs('/tmp'), ...sharedTmpfs('/dev/shm'), '--tmpfs', '/run');
  const readOnly = outermost(plan.readOnly).filter((p) => !SYSTEM_PATHS.some((s) => within(p, s)));
  // Under /tmp too: there the path down to a scratch directory would be made in the private /tmp, writable.
  const hidden = plan.hidden.map((h) => path.resolve(h)).filter((h) => [...readOnly, ...SYSTEM_PATHS, '/tmp'].some((r) => within(h, r)));
  // Directories that exist inside already: the host's under a read-only bind, except under a hidden (empty) one.
  const exists = (d: string) =>
    d === '/' || d === '/tmp' || d === '/run' || hidden.includes(d) || ([...readOnly, ...SYSTEM_PATHS].some((r) => within(d, r)) && !hidden.some((h) => within(d, h)));
  const made = new Set<string>();
  for (const p of readOnly) args.push(...parents(p, exists, made), '--ro-bind-try', p, p);
  // Each hidden path looked at once: a directory is covered by an empty tmpfs, a file by /dev/null.
  const hiding = hidden.flatMap((p) => {
    const directory = isDirectory(p);
    return directory === undefined ? [] : [{ p, directory }];
  });
  for (const { p, directory } of hiding) args.push(...parents(p, exists, made), ...(directory ? ['--tmpfs', p] : ['--ro-bind', '/dev/null', p]));
  for (const p of plan.readWrite.map((w) => path.resolve(w))) args.push(...parents(p, exists, made), '--bind-try', p, p);
  // Last, once every mount point in them is made. In a user namespace the
  // root's tmpfs, the directories made on it and a hidden directory's tmpfs
  // are the sandbox user's own: writable, they would take writes that look as
  // if they reached the host's files (its data directory's, say).
  for (const { p, directory } of hiding) if (directory) args.push('--remount-ro', p);
  args.push('--remount-ro', '/');
  return args;
}

const sharedTmpfs = (p: string) => ['--perms', '1777', '--tmpfs', p];

/** Resolved, deduplicated, without those inside another. */
function outermost(paths: string[]): string[] {
  const all = [...new Set(paths.map((p) => path.resolve(p)))].sort();
  return all.filter((p) => !all.some((q) => q !== p && within(p, q)));
}

/**
 * bwrap makes the missing parents of a mount point mode 0700, which a sandbox
 * uid other than root's cannot pass through: they are made 0755 first (empty
 * directories of the sandbox's own root, nothing of the host's).
 */
function parents(p: string, exists: (d: string) => boolean, made: Set<string>): string[] {
  const chain: string[] = [];
  for (let d = path.dirname(p); !exists(d) && !made.has(d); d = path.dirname(d)) chain.unshift(d);
  return chain.flatMap((d) => {
    made.add(d);
    return ['--perms', '0755', '--dir', d];
  });
}

/** Merged-/usr systems have /bin, /lib... as symlinks: the sandbox gets the same links. */
function systemMount(p: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(p);
  } catch {
    return [];
  }
  if (stat.isSymbolicLink()) return ['--symlink', fs.readlinkSync(p), p];
  return stat.isDirectory() ? ['--ro-bind', p, p] : [];
}

/** undefined when it does not exist. */
function isDirectory(p: string): boolean | undefined {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return undefined;
  }
}
