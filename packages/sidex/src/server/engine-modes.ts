// What a process that runs executions says about them as it starts: whether
// they are sandboxed, and whether the kernel enforces their limits. Both can
// fall back quietly otherwise (no bubblewrap; no cgroup this server may write).
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.js';

export function logEngineModes(engine: Engine, log: Logger): void {
  const { mode, reason } = engine.isolation;
  if (mode === 'sandbox') log.info({ isolation: { mode } }, 'executions run in sandboxes');
  else log.warn({ isolation: { mode, reason } }, `executions are NOT sandboxed: ${reason}`);
  const { limits } = engine;
  if (limits.pids === 'none' || limits.memory === 'sampled') {
    log.warn({ limits }, 'no cgroup this server may write: memory limits are sampled and nothing limits processes (a fork bomb runs until its stop); see docs/security.md');
  }
}
