import { durationOf, type ExecutionRecord } from '../engine/record.js';

/** What a status reply tells about an execution (Codebolt field names, plus sidex's own). */
export interface StatusFields {
  sideExecutionId: string;
  status: ExecutionRecord['status'];
  name: string;
  actionBlock?: string;
  threadId?: string;
  isRuntimeCode: boolean;
  createdAt: number;
  /** Epoch ms: when it began running (or was created, while queued). */
  startTime: number;
  endTime?: number;
  duration?: number;
  params: unknown;
  timeout?: number;
  result?: unknown;
  /** stdout captured so far (the last 1 MB by default). */
  output: string;
  /** stderr captured so far; for a failed execution without stderr, the failure message. */
  error?: string;
  failure?: ExecutionRecord['error'];
  outputTruncated?: boolean;
  exitCode?: number | null;
  signal?: string | null;
  stopReason?: ExecutionRecord['stopReason'];
  stoppedAt?: number;
  forced?: boolean;
  checkpoint?: unknown;
  progress?: unknown;
  /** Resident memory of the whole process tree, bytes. */
  memoryUsage: number;
  peakMemoryUsage: number;
  /** CPU time of the whole process tree, ms. */
  cpuTime: number;
  resumedFrom?: string;
}

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
