import type { ExecutionRecord, ExecutionStatus } from '../../engine/record.js';
import { metaString } from '../caller-meta.js';

export type CapabilityStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'completed' | 'failed' | 'timeout';

/** A capability execution as the Codebolt dialect reports it (shared/PROTOCOLS.md §1), plus sidex's own fields. */
export interface CapabilityExecution {
  id: string;
  capabilityName: string;
  capabilityType: string;
  executorName: string;
  /** The capability runs as a side execution: the same record, the same id. */
  sideExecutionId: string;
  threadId: string;
  parentAgentId?: string;
  startTime: number;
  endTime?: number;
  status: CapabilityStatus;
  result?: unknown;
  error?: string;
  errorCode?: string;
  progress?: unknown;
  checkpoint?: unknown;
  output: string;
  resumedFrom?: string;
}

/** A capability has no `queued`: waiting for a slot is part of starting. */
const statusOf = (status: ExecutionStatus): CapabilityStatus => (status === 'queued' ? 'starting' : status);

export const isCapabilityRecord = (record: ExecutionRecord): boolean => record.id.startsWith('cap_') && typeof record.meta.capabilityName === 'string';

export function capabilityExecution(r: ExecutionRecord): CapabilityExecution {
  const parentAgentId = metaString(r.meta, 'parentAgentId');
  return {
    id: r.id,
    capabilityName: metaString(r.meta, 'capabilityName'),
    capabilityType: metaString(r.meta, 'capabilityType'),
    executorName: metaString(r.meta, 'executorName'),
    sideExecutionId: r.id,
    threadId: metaString(r.meta, 'threadId'),
    ...(parentAgentId ? { parentAgentId } : {}),
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
