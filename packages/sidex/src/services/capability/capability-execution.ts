import type { CapabilityExecution, CapabilityStatus, CapabilityType } from '@sidex/protocol';
import type { ExecutionRecord, ExecutionStatus } from '../../model/record.js';
import { metaString } from '../caller-meta.js';

/** A capability has no `queued`: waiting for a slot is part of starting. */
const statusOf = (status: ExecutionStatus): CapabilityStatus => (status === 'queued' ? 'starting' : status);

export const isCapabilityRecord = (record: ExecutionRecord): boolean => record.id.startsWith('cap_') && typeof record.meta.capabilityName === 'string';

export function capabilityExecution(r: ExecutionRecord): CapabilityExecution {
  return {
    id: r.id,
    capabilityName: metaString(r.meta, 'capabilityName'),
    // The capability service wrote it from the catalog's type.
    capabilityType: metaString(r.meta, 'capabilityType') as CapabilityType,
    executorName: metaString(r.meta, 'executorName'),
    sideExecutionId: r.id,
    threadId: metaString(r.meta, 'threadId'),
    parentAgentId: metaString(r.meta, 'parentAgentId'),
    parentAgentInstanceId: metaString(r.meta, 'parentAgentInstanceId'),
    startTime: r.startedAt ?? r.createdAt,
    ...(r.endedAt !== undefined ? { endTime: r.endedAt } : {}),
    status: statusOf(r.status),
    ...(r.result !== undefined ? { result: r.result } : {}),
    ...(r.error ? { error: r.error.message, errorCode: r.error.code } : {}),
    ...(r.progress !== undefined ? { progress: r.progress } : {}),
    ...(r.checkpoint !== undefined ? { checkpoint: r.checkpoint } : {}),
    output: r.stdout.text,
    ...(r.resumedFrom ? { resumedFrom: r.resumedFrom } : {}),
  };
}
