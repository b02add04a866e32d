// What a process that runs executions says about them as it starts: whether
// they are sandboxed, and whether the kernel enforces their limits. Both can
// fall back quietly otherwise (no bubblewrap; no cgroup this server may write).
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';
import { shownIsolation } from '../engine/sandbox/isolation.js';

export function logEngineModes(engine: Engine, log: Logger): void {
  const isolation = shownIsolation(engine.isolation);
  if (isolation.mode === 'sandbox') log.info({ isolation }, 'executions run in sandboxes');
  else log.warn({ isolation }, `executions are NOT sandboxed: ${isolation.reason}`);
  const gap = engine.isolation.syscallFilterGap;
  if (gap) log.warn({ reason: gap }, `sandboxes run without their seccomp filter: executions can reach the kernel keyring, kept per uid (${gap})`);
  const accounts = engine.isolation.user?.accountsInRange;
  if (accounts) log.warn({ accounts }, `sandboxUids holds the uids of host accounts (${accounts.slice(0, 5).join(', ')}${accounts.length > 5 ? ', ...' : ''}): sandboxes given them own those accounts' files; give a range no account uses`);
  const shared = engine.isolation.user?.sharedBecause;
  if (shared) log.warn({ reason: shared }, `every sandbox runs as uid 65534, sharing the counts the kernel keeps per uid (inotify instances and the like): ${shared}; see sandboxUids in docs/security.md`);
  const uncoordinated = engine.isolation.user?.uncoordinatedBecause;
  if (uncoordinated) log.warn({ reason: uncoordinated }, `sandbox uids are not claimed host-wide (${uncoordinated}): another root sidex server on this host may give a sandbox the same uid; give each server a range of its own`);
  const { limits } = engine;
  if (limits.pids === 'none' || limits.memory === 'sampled') {
    log.warn({ limits }, 'no cgroup this server may write: memory limits are sampled and nothing limits processes (a fork bomb runs until its stop); see docs/security.md');
  }
}
