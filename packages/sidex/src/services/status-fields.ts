import type { StatusFields } from '@sidex/client';
import { durationOf, type ExecutionRecord } from '../engine/record.js';

export function statusFields(r: ExecutionRecord): StatusFields {
  const error = r.stderr.text || (r.error ? r.error.message : '');
  const duration = durationOf(r);
  const threadId = r.meta.threadId;
  return {
    sideExecutionId: r.id,
    status: r.status,
    name: r.name,
    ...(r.kind === 'block' && r.path ? { actionBlock: r.path } : {}),
    ...(typeof threadId === 'string' ? { threadId } : {}),
    isRuntimeCode: r.kind === 'inline',
    createdAt: r.createdAt,
    startTime: r.startedAt ?? r.createdAt,
    ...(r.endedAt !== undefined ? { endTime: r.endedAt } : {}),
    ...(duration !== undefined ? { duration } : {}),
    params: r.params,
    ...(r.timeoutMs !== undefined ? { timeout: r.timeoutMs } : {}),
    ...(r.result !== undefined ? { result: r.result } : {}),
    output: r.stdout.text,
    ...(error ? { error } : {}),
    ...(r.error ? { failure: r.error } : {}),
    ...(r.stdout.truncated || r.stderr.truncated ? { outputTruncated: true } : {}),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.signal !== undefined ? { signal: r.signal } : {}),
    ...(r.stopReason ? { stopReason: r.stopReason } : {}),
    ...(r.stoppedAt !== undefined ? { stoppedAt: r.stoppedAt } : {}),
    ...(r.forced !== undefined ? { forced: r.forced } : {}),
    ...(r.checkpoint !== undefined ? { checkpoint: r.checkpoint } : {}),
    ...(r.progress !== undefined ? { progress: r.progress } : {}),
    memoryUsage: r.memory.current,
    peakMemoryUsage: r.memory.peak,
    cpuTime: Math.round(r.cpuMicros / 1000),
    ...(r.resumedFrom ? { resumedFrom: r.resumedFrom } : {}),
  };
}
