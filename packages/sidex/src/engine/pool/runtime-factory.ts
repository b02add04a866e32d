import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Isolation } from '../sandbox/isolation.js';
import { launchCommand, PROXY_DIR_INSIDE, sandboxedCommand, type SandboxNetwork } from '../sandbox/launch.js';
import { startFilteringProxy } from '../sandbox/network/filtering-proxy.js';
import { noProxyFor } from '../sandbox/network/no-proxy.js';
import type { MountPlan } from '../sandbox/mount-plan.js';
import { leaseIdentity } from '../sandbox/sandbox-identity.js';
import { SyscallFilterFile } from '../sandbox/syscall-filter.js';
import { UidLeases } from '../sandbox/uid-leases.js';
import { removePath } from './remove-path.js';
import { removeCgroupTree } from '../tree/cgroup-tree.js';
import type { TreeTracker } from '../tree/tracked-tree.js';
import { RuntimeProcess, runtimeMain, type Companion } from './runtime-process.js';

const runtimeDir = fileURLToPath(new URL('../../runtime', import.meta.url));

/** The packages the runtime itself loads (rewriting code to unwind it, the network bridge): readable under the permission model. */
const RUNTIME_PACKAGES = ['acorn', 'acorn-walk', 'magic-string', '@jridgewell/sourcemap-codec', 'pirates', 'undici'].flatMap((name) => {
  const require = createRequire(import.meta.url);
  try {
    const entry = require.resolve(name);
    return [entry.slice(0, entry.lastIndexOf(`node_modules${path.sep}${name.split('/').join(path.sep)}`) + `node_modules/${name}`.length)];
  } catch {
    return [];
  }
});

/** Node's permission model for executions: what they may read, write and start. */
export interface PermissionOptions {
  /** Directories executions may read besides their own scratch directory (block roots). */
  read?: string[];
  write?: string[];
  allowChildProcess?: boolean;
  allowWorkers?: boolean;
}

/** What a runtime is booted with: the heap flag, its rlimits and its cwd cannot change after boot. */
export interface RuntimeProfile {
  /** V8's heap flag; the limit of its memory cgroup until an execution sets its own. */
  memoryLimitBytes?: number;
  /** Sets the file size limit its tree is born with (fileSizeLimitFor). */
  outputLimitBytes?: number;
  /** The limit of its pids cgroup until an execution sets its own. */
  pidsLimit?: number;
  /** Working directory at boot; under the permission model chdir is forbidden. */
  cwd?: string;
  /** A sandbox's network is made when it is spawned. */
  network?: SandboxNetwork;
}

export interface SandboxOptions {
  isolation: Isolation;
  /** What the runtime with this scratch directory sees of the file system. */
  mounts: (scratchDir: string) => MountPlan;
}

export interface FactoryOptions {
  scratchRoot: string;
  /** Where idle runtimes' output files are created (log-files.ts). */
  outputRoot: string;
  markerPrefix: string;
  tracker: TreeTracker;
  env: (marker: string) => Record<string, string>;
  permissions?: PermissionOptions;
  /** Absent: `process` isolation. */
  sandbox?: SandboxOptions;
  /** util-linux prlimit, to bound the size of files (the output limit); absent: not bounded by the kernel. */
  prlimit?: string;
  /** Memory limits are the kernel's (a cgroup), not sampled. */
  kernelMemory: boolean;
}

/**
 * RLIMIT_FSIZE for an output limit: one byte more, so that a tree that passes
 * the limit shows it (the engine sees more than the limit), while one that
 * writes exactly the limit is untouched.
 */
export function fileSizeLimitFor(outputLimitBytes: number | undefined): number | undefined {
  return outputLimitBytes ? outputLimitBytes + 1 : undefined;
}

/**
 * CAP_SYS_RESOURCE, which raising a hard rlimit needs, and so does changing
 * one of a process of another uid (a root server's sandboxes run as nobody).
 * Root usually has it; a container's root may not.
 */
function hasSysResource(): boolean {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)/m.exec(fs.readFileSync('/proc/self/status', 'latin1'))?.[1];
    return hex !== undefined && (BigInt(`0x${hex}`) & (1n << 24n)) !== 0n;
  } catch {
    return false;
  }
}

/**
 * Spawns runtimes: each with a fresh scratch directory of its own (its working
 * directory), its environment marker, its heap limit, in its own sandbox
 * unless isolation is `process`, and, when enabled, Node's permission model
 * confining it to that directory and the allowed roots.
 */
export class RuntimeFactory {
  private slot = 0;
  private sysResource: boolean | undefined;
  private readonly syscallFilter: SyscallFilterFile | undefined;
  private readonly uids: UidLeases | undefined;

  constructor(private readonly options: FactoryOptions) {
    fs.mkdirSync(options.scratchRoot, { recursive: true });
    fs.mkdirSync(options.outputRoot, { recursive: true });
    const program = options.sandbox?.isolation.syscallFilter;
    // Beside the runtimes' scratch directories, in none of them: no sandbox sees it.
    this.syscallFilter = program ? new SyscallFilterFile(options.scratchRoot, program) : undefined;
    const ids = options.sandbox?.isolation.user?.switchTo;
    this.uids = ids ? new UidLeases(ids) : undefined;
  }

  spawn(profile: RuntimeProfile): RuntimeProcess {
    const slot = String(++this.slot);
    const marker = `${this.options.markerPrefix}${slot}`;
    const scratchDir = path.join(this.options.scratchRoot, slot);
    fs.mkdirSync(scratchDir, { recursive: true });
    const node = [
      process.execPath,
      // vm modules: the runtime syntax-checks a block's ES module entry before importing it.
      '--experimental-vm-modules',
      ...heapFlags(profile.memoryLimitBytes),
      ...this.permissionFlags(scratchDir, profile.cwd),
      runtimeMain,
    ];
    const cwd = profile.cwd ?? scratchDir;
    const env = this.options.env(marker);
    const sandbox = this.options.sandbox;
    const { tracker, prlimit } = this.options;
    // Sandboxed or not, the runtime joins its cgroups before it execs node:
    // their limits hold from its first instruction, and nothing forks uncounted.
    const joinFiles = tracker.joinFiles(marker);
    const limits = tracker.limitGroup(marker);
    try {
      limits?.apply({ ...(profile.memoryLimitBytes ? { memoryLimitBytes: profile.memoryLimitBytes } : {}), ...(profile.pidsLimit ? { pidsLimit: profile.pidsLimit } : {}) });
      limits?.holdCounters();
    } catch (err) {
      limits?.release();
      throw err;
    }
    const fileSize = prlimit ? fileSizeLimitFor(profile.outputLimitBytes) : undefined;
    const fileSizeLimit = prlimit && fileSize ? { prlimit, bytes: fileSize } : undefined;
    let launch: { file: string; args: string[] };
    const companions: Companion[] = [];
    try {
      if (!sandbox) launch = launchCommand({ joinFiles, fileSizeLimit }, node);
      else {
        const owner = this.uids ? leaseIdentity(this.uids, path.join(this.options.scratchRoot, `${slot}.passwd`), scratchDir) : undefined;
        if (owner) {
          companions.push(owner.companion);
          fs.chownSync(scratchDir, owner.uid, owner.gid);
          Object.assign(env, owner.env);
        }
        // Home is the scratch directory: the server's home does not exist inside.
        Object.assign(env, { HOME: scratchDir, TMPDIR: '/tmp', SIDEX_SCRATCH_DIR: scratchDir, SIDEX_SANDBOXED: '1' });
        const network = profile.network ?? 'all';
        const proxy = typeof network === 'object' ? this.proxyFor(slot, network.allow, env, owner) : undefined;
        if (proxy) companions.push(proxy.companion);
        launch = sandboxedCommand(
          {
            isolation: sandbox.isolation,
            mounts: sandbox.mounts(scratchDir),
            cwd,
            network,
            joinFiles,
            ...(fileSizeLimit ? { fileSizeLimit } : {}),
            ...(proxy ? { proxyDir: proxy.dir } : {}),
            syscallFilter: this.syscallFilter !== undefined,
            ...(owner ? { switchTo: owner } : {}),
          },
          node,
        );
      }
      return new RuntimeProcess({
        ...(sandbox && this.syscallFilter ? { syscallFilterFd: this.syscallFilter.open() } : {}),
        env,
        ...launch,
        sandboxed: sandbox !== undefined,
        joinsItself: joinFiles.length > 0,
        ...(limits ? { limits } : {}),
        ...(fileSize ? { fileSizeLimit: fileSize } : {}),
        ...(prlimit ? { prlimit } : {}),
        // bwrap enters `cwd` inside the sandbox; outside, the scratch directory always exists.
        cwd: sandbox ? scratchDir : cwd,
        scratchDir,
        companions,
        outputBase: path.join(this.options.outputRoot, slot),
        marker,
        tracker: this.options.tracker,
      });
    } catch (err) {
      // Nothing runs: what was made for it goes (its uid back to the range, its proxy closed, its cgroups and scratch directory).
      for (const companion of companions) void companion.close();
      for (const file of joinFiles) removeCgroupTree(path.dirname(file));
      void removePath(scratchDir);
      throw err;
    }
  }

  /**
   * Whether an execution can use a pooled runtime, booted with `pooled`. The
   * heap flag is fixed at boot: a sampled limit needs the very flag; a
   * kernel limit, set on the cgroup at claim, needs a flag at or above it,
   * so that the kernel and not V8 ends a heap that grows too big (and V8's
   * fatal error stays the fallback). The file size limit is changed at claim
   * where the kernel lets this process do it (canChangeFileSize). The
   * working directory is fixed when chdir is forbidden.
   */
  fitsPool(profile: RuntimeProfile, pooled: RuntimeProfile): boolean {
    if (this.options.kernelMemory ? !atOrUnder(profile.memoryLimitBytes, pooled.memoryLimitBytes) : profile.memoryLimitBytes !== pooled.memoryLimitBytes) return false;
    if (this.options.prlimit && !this.canChangeFileSize(fileSizeLimitFor(profile.outputLimitBytes), fileSizeLimitFor(pooled.outputLimitBytes))) return false;
    if (this.options.sandbox && JSON.stringify(profile.network ?? 'all') !== JSON.stringify(pooled.network ?? 'all')) return false;
    return !(this.options.permissions && profile.cwd !== pooled.cwd);
  }

  /**
   * An allowlisted sandbox's filtering proxy: its own, on a Unix socket in a
   * directory bound into the sandbox, living as long as the runtime. The
   * runtime's bridge (runtime/network) finds it through the environment.
   */
  private proxyFor(slot: string, allow: string[], env: Record<string, string>, owner: { uid: number; gid: number } | undefined) {
    const dir = path.join(this.options.scratchRoot, `${slot}.net`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    const socketPath = path.join(dir, 'proxy.sock');
    Object.assign(env, { SIDEX_PROXY_SOCKET: path.join(PROXY_DIR_INSIDE, 'proxy.sock'), SIDEX_NO_PROXY: noProxyFor(allow) });
    const started = startFilteringProxy({ socketPath, allow }).then((proxy) => {
      // The sandbox uid must be able to connect (a socket needs write permission).
      if (owner) fs.chownSync(socketPath, owner.uid, owner.gid);
      return proxy;
    });
    const companion: Companion = {
      ready: started.then(() => {}),
      close: async () => {
        await started.then((proxy) => proxy.close(), () => {});
        await removePath(dir);
      },
    };
    return { dir, companion };
  }

  /**
   * Whether a pooled runtime's file size limit can be changed at claim
   * (prlimit --pid, ~4 ms a process measured here) rather than a runtime
   * booted with it (~100 ms unsandboxed, ~140 ms sandboxed). Lowering a limit
   * of processes of our own uid needs no privilege; anything else needs
   * CAP_SYS_RESOURCE.
   */
  private canChangeFileSize(wanted: number | undefined, booted: number | undefined): boolean {
    if (wanted === booted) return true;
    this.sysResource ??= hasSysResource();
    if (this.sysResource) return true;
    const sameUid = !this.options.sandbox?.isolation.user?.switchTo;
    return sameUid && atOrUnder(wanted, booted);
  }

  private permissionFlags(scratchDir: string, cwd: string | undefined): string[] {
    const p = this.options.permissions;
    if (!p) return [];
    // Node 20 grants a directory's contents only as "<dir>/*", and aborts on a
    // path granted twice: one entry per distinct directory.
    const grants = (dirs: string[]) => [...new Set(dirs.map((dir) => path.resolve(dir)))].map((dir) => `${dir}/*`);
    const read = grants([runtimeDir, ...RUNTIME_PACKAGES, scratchDir, ...(cwd ? [cwd] : []), ...(p.read ?? [])]);
    const write = grants([scratchDir, ...(p.write ?? [])]);
    return [
      '--experimental-permission',
      // The model's own experimental notice would otherwise open every execution's stderr.
      '--disable-warning=ExperimentalWarning',
      ...read.map((dir) => `--allow-fs-read=${dir}`),
      ...write.map((dir) => `--allow-fs-write=${dir}`),
      ...(p.allowChildProcess ? ['--allow-child-process'] : []),
      ...(p.allowWorkers ? ['--allow-worker'] : []),
    ];
  }
}

/** Whether `wanted` is no more than `booted` (undefined: no limit). */
function atOrUnder(wanted: number | undefined, booted: number | undefined): boolean {
  if (booted === undefined) return true;
  return wanted !== undefined && wanted <= booted;
}

function heapFlags(memoryLimitBytes: number | undefined): string[] {
  if (!memoryLimitBytes) return [];
  return [`--max-old-space-size=${Math.max(16, Math.floor(memoryLimitBytes / (1024 * 1024)))}`];
}
