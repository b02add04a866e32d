// When an execution crosses a limit, and which limit ended it: the engine
// asks for the stop, with the short grace a limit gets.
import type { StopReason } from '../../model/record.js';
import type { Execution } from '../execution.js';
import { heapOverflowed } from '../final-status.js';
import type { RuntimeProcess } from '../pool/runtime-process.js';
import type { ResourceSampler } from './resource-sampler.js';

/** A memory limit is a hazard to the machine: its grace is short. */
const MEMORY_LIMIT_GRACE_MS = 500;
/** Shorter still for output: a flood writes hundreds of MB a second to the server's disk. */
const OUTPUT_LIMIT_GRACE_MS = 100;
/** A fork bomb spins at its limit until killed. */
const PIDS_LIMIT_GRACE_MS = 100;

export type RequestStop = (exec: Execution, reason: StopReason, graceMs: number) => void;

/** Once it runs: its timeout, and its memory, CPU and the kernel's limit counters sampled. */
export function watchLimits(exec: Execution, sampler: ResourceSampler, timeoutGraceMs: number, stop: RequestStop): void {
  const { record } = exec;
  if (record.timeoutMs !== undefined && record.timeoutMs > 0) {
    exec.timeoutTimer = setTimeout(() => stop(exec, 'timeout', timeoutGraceMs), record.timeoutMs);
  }
  const runtime = exec.runtime;
  if (!runtime) return;
  const limits = runtime.limits;
  // Where a cgroup holds the memory, its count is the one the limit applies to.
  const kernelMemory = limits?.has('memory') ?? false;
  const onCpu = (cpu: number | undefined) => {
    if (cpu !== undefined) record.cpuMicros = Math.max(record.cpuMicros, cpu);
  };
  sampler.add((exec.sampling = {
    tree: runtime.tree,
    ...(limits && kernelMemory ? { memory: () => limits.memoryUsage() } : {}),
    onCpu,
    onSample: (bytes, cpu) => {
      record.memory.current = bytes;
      record.memory.peak = Math.max(record.memory.peak, bytes);
      onCpu(cpu);
      // The kernel has acted already (killed a process, refused a fork): the execution ends.
      const events = limits?.events();
      if (events?.oomKills) {
        exec.memoryLimitBy ??= 'kernel';
        stop(exec, 'memory_limit', MEMORY_LIMIT_GRACE_MS);
      } else if (events?.pidsLimitHits) {
        stop(exec, 'pids_limit', PIDS_LIMIT_GRACE_MS);
      } else if (!kernelMemory && record.memoryLimitBytes && bytes > record.memoryLimitBytes) {
        exec.memoryLimitBy ??= 'sampled';
        stop(exec, 'memory_limit', MEMORY_LIMIT_GRACE_MS);
      }
    },
  }));
}

/**
 * Only once it is recorded running: a flood in its first moments ends the
 * execution, not its start (checked again when it becomes running).
 */
export function enforceOutputLimit(exec: Execution, stop: RequestStop): void {
  const limit = exec.record.outputLimitBytes;
  if (limit && exec.record.status === 'running' && (exec.capture?.seenBytes ?? 0) > limit) {
    stop(exec, 'output_limit', OUTPUT_LIMIT_GRACE_MS);
  }
}

/**
 * A limit may have ended the code without the engine asking: the kernel's
 * OOM killer, a refused fork, V8 at its heap limit, the file size limit.
 * The kernel's counters and the runtime's death tell, read before the
 * cgroups go. The first reason still wins: a stop already asked for stays.
 */
export function limitVerdict(exec: Execution, runtime: RuntimeProcess, stderrTail: string): void {
  const { record } = exec;
  const peak = runtime.limits?.memoryPeak();
  if (peak !== undefined) record.memory.peak = Math.max(record.memory.peak, peak);
  if (exec.stopReason || !exec.capture) return;
  const events = runtime.limits?.events();
  const limit = record.outputLimitBytes;
  if (events?.oomKills) {
    exec.stopReason = 'memory_limit';
    exec.memoryLimitBy = 'kernel';
  } else if (heapOverflowed(runtime.exit, stderrTail)) {
    exec.stopReason = 'memory_limit';
    exec.memoryLimitBy = 'heap';
  } else if (events?.pidsLimitHits) {
    exec.stopReason = 'pids_limit';
  } else if (limit && exec.capture.totalBytes > limit) {
    exec.stopReason = 'output_limit';
  }
}
