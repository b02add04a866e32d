// Which isolation an engine gets. `sandbox` is bubblewrap around every runtime
// (its own PID, user, mount, IPC and UTS namespaces); `process` is what is left
// where the kernel or the container forbids namespaces: process groups,
// markers and cgroups. The choice is made once, at start, and said plainly.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SidexError } from '../../errors.js';
import { anyUid, sandboxUser, type SandboxIdConfig, type SandboxUser } from './sandbox-user.js';
import { syscallFilterFor } from './syscall-filter.js';

export type IsolationRequest = 'auto' | 'sandbox' | 'process';

export interface Isolation {
  mode: 'sandbox' | 'process';
  /** Why the mode is `process` (asked for, or what made the sandbox unavailable). */
  reason?: string;
  /** The bwrap binary, in sandbox mode. */
  bwrap?: string;
  /** Who sandboxed code runs as on the host. */
  user?: SandboxUser;
  /** The seccomp filter sandboxes load (syscall-filter.ts), where this machine has one and the kernel takes it. */
  syscallFilter?: Buffer;
  /** Why a sandbox runs without that filter. */
  syscallFilterGap?: string;
}

/** What callers are told of it (/healthz, logs, a worker's heartbeat): the mode, and why when it is `process`. */
export function shownIsolation({ mode, reason }: Isolation): { mode: Isolation['mode']; reason?: string } {
  return { mode, ...(reason ? { reason } : {}) };
}

const cache = new Map<string, Isolation>();

/**
 * `auto` picks the sandbox where it works and says why not otherwise;
 * `sandbox` refuses to start without it. The probe runs bwrap once (a few ms)
 * exactly as runtimes will be run, so a kernel that forbids user namespaces
 * is found here rather than at the first start.
 */
export function resolveIsolation(request: IsolationRequest, ids: SandboxIdConfig = {}): Isolation {
  if (request === 'process') return { mode: 'process', reason: 'process isolation was asked for (--isolation process)' };
  const key = JSON.stringify(ids);
  let found = cache.get(key);
  if (!found) cache.set(key, (found = probeSandbox(ids)));
  if (found.mode === 'sandbox' || request === 'auto') return found;
  throw new SidexError('SANDBOX_UNAVAILABLE', `isolation "sandbox" was asked for but is unavailable: ${found.reason}`, { field: 'isolation' });
}

function probeSandbox(ids: SandboxIdConfig): Isolation {
  if (process.platform !== 'linux') return { mode: 'process', reason: `sandboxes need Linux namespaces (this is ${process.platform})` };
  const bwrap = findProgram('bwrap');
  if (!bwrap) return { mode: 'process', reason: 'bubblewrap (bwrap) is not installed: apt-get install bubblewrap' };
  const user = sandboxUser(ids);
  if (user.unavailable) return { mode: 'process', reason: `no uid to run sandboxes as: ${user.unavailable}` };
  const probeUid = user.switchTo ? anyUid(user.switchTo) : undefined;
  // Run as launches run (launch.ts): a root server's bwrap is privileged and setpriv drops to the
  // sandbox uid inside; any other server's bwrap needs an unprivileged user namespace.
  const inside = user.switchTo ? ['setpriv', `--reuid=${probeUid}`, `--regid=${user.switchTo.gid}`, '--clear-groups', '--', '/bin/true'] : ['/bin/true'];
  const namespaces = user.switchTo ? ['--unshare-pid', '--unshare-ipc', '--unshare-uts'] : ['--unshare-user', '--unshare-pid', '--unshare-ipc', '--unshare-uts'];
  const run = (extra: string[], input?: Buffer) => {
    const probe = spawnSync(bwrap, [...namespaces, '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', ...extra, '--', ...inside], { timeout: 5000, encoding: 'utf8', ...(input ? { input } : {}) });
    return probe.status === 0 ? undefined : (probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n')[0];
  };
  const failed = run([]);
  if (failed) return { mode: 'process', reason: `bwrap cannot create namespaces here (${failed}); user namespaces may be disabled` };
  // Without its filter a sandbox still holds: a kernel that refuses it costs the keyring's isolation, not the sandbox.
  const program = syscallFilterFor();
  if (!program) return { mode: 'sandbox', bwrap, user, syscallFilterGap: `no seccomp filter is built for ${process.arch}` };
  const refused = run(['--seccomp', '0'], program);
  if (refused) return { mode: 'sandbox', bwrap, user, syscallFilterGap: `the kernel refused the seccomp filter (${refused})` };
  return { mode: 'sandbox', bwrap, user, syscallFilter: program };
}

/** An executable on PATH or in the usual system directories. */
export function findProgram(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/local/bin', '/bin']);
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
