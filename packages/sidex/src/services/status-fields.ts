import type { StatusFields } from '@sidex/protocol';
import { durationOf, type ExecutionRecord } from '../model/record.js';

/**
 * The status of a record as every dialect reports it. Optional fields are
 * set only when present, by assignment rather than spreads: this runs for
 * every getStatus, and each spread allocated an object that lived a moment.
 */
export function statusFields(r: ExecutionRecord): StatusFields {
  const error = r.stderr.text || (r.error ? r.error.message : '');
  const duration = durationOf(r);
  const threadId = r.meta.threadId;
  const fields: StatusFields = {
    sideExecutionId: r.id,
    status: r.status,
    name: r.name,
    isRuntimeCode: r.kind === 'inline',
    createdAt: r.createdAt,
    startTime: r.startedAt ?? r.createdAt,
    params: r.params,
    output: r.stdout.text,
    memoryUsage: r.memory.current,
    peakMemoryUsage: r.memory.peak,
    cpuTime: Math.round(r.cpuMicros / 1000),
  };
  if (r.kind === 'block' && r.path) fields.actionBlock = r.path;
  if (r.source?.type === 'command') fields.command = r.source.argv;
  if (typeof threadId === 'string') fields.threadId = threadId;
  if (r.endedAt !== undefined) fields.endTime = r.endedAt;
  if (duration !== undefined) fields.duration = duration;
  if (r.timeoutMs !== undefined) fields.timeout = r.timeoutMs;
  if (r.result !== undefined) fields.result = r.result;
  if (error) fields.error = error;
  if (r.error) fields.failure = r.error;
  if (r.stdout.truncated || r.stderr.truncated) fields.outputTruncated = true;
  if (r.exitCode !== undefined) fields.exitCode = r.exitCode;
  if (r.signal !== undefined) fields.signal = r.signal;
  if (r.stopReason) fields.stopReason = r.stopReason;
  if (r.stoppedAt !== undefined) fields.stoppedAt = r.stoppedAt;
  if (r.forced !== undefined) fields.forced = r.forced;
  if (r.checkpoint !== undefined) fields.checkpoint = r.checkpoint;
  if (r.progress !== undefined) fields.progress = r.progress;
  if (r.resumedFrom) fields.resumedFrom = r.resumedFrom;
  if (r.worker) fields.worker = r.worker;
  return fields;
}
