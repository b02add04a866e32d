// A task's status once it has ended, from its execution's record in the store:
// the supervisor keeps the status as the execution's progress, and sets the
// final one before it ends the process.
import { isTerminal, type ExecutionRecord } from '../../../model/record.js';
import { isEndState, STATE_TEXT, TaskState, type TaskStatus } from '../task-state.js';
import { ItemCounters, pushBounded } from './counters.js';
import { emptyMetrics, NO_TOKENS } from './metrics.js';
import { buildStatus, unixSeconds } from './status.js';

export function statusFromRecord(record: ExecutionRecord): TaskStatus {
  const kept = isStatus(record.progress) ? withDefaults(record.progress) : bareStatus(record);
  if (!isTerminal(record.status) || isEndState(kept.state)) return kept;
  // The process ended before a final status was set (it crashed, or the server
  // died with it): what the record says of its end completes the last status.
  const { why, exitCode, error } = crashOf(record);
  const errors = [...kept.errors];
  pushBounded(errors, error);
  return {
    ...kept,
    state: TaskState.COMPLETED,
    status: STATE_TEXT[TaskState.COMPLETED],
    completed: true,
    serviceUp: false,
    endTime: record.endedAt === undefined ? 0 : unixSeconds(record.endedAt),
    exitCode,
    exitMessage: kept.exitMessage || why,
    errors,
    currentObject: '',
    currentSize: 0,
    rateCount: 0,
    rateSize: 0,
    inProgressCount: 0,
  };
}

/** How an execution that ended unasked is reported: a zero or missing exit code still reads as a failure. */
export function crashOf(record: ExecutionRecord | undefined): { why: string; exitCode: number; error: string } {
  const why = record?.error?.message ?? `its execution ended with status ${record?.status ?? 'unknown'}`;
  const exitCode = typeof record?.exitCode === 'number' && record.exitCode !== 0 ? record.exitCode : 1;
  return { why, exitCode, error: `the task process ended: ${why}` };
}

/** A status kept before metrics and tokens were reported lacks them. */
function withDefaults(status: Partial<TaskStatus> & Omit<TaskStatus, 'metrics' | 'tokens'>): TaskStatus {
  return { ...status, metrics: status.metrics ?? emptyMetrics(), tokens: status.tokens ?? { ...NO_TOKENS, custom: {} } };
}

function isStatus(value: unknown): value is TaskStatus {
  return value !== null && typeof value === 'object' && typeof (value as TaskStatus).state === 'number' && Array.isArray((value as TaskStatus).errors);
}

/** A task that never reported a status: what its record tells. */
function bareStatus(record: ExecutionRecord): TaskStatus {
  const meta = record.meta as { pipelineToken?: string; projectId?: string; source?: string; threads?: number };
  return buildStatus({
    name: record.name,
    projectId: meta.projectId ?? '',
    source: meta.source ?? '',
    token: meta.pipelineToken ?? '',
    executionId: record.id,
    threads: meta.threads ?? 1,
    state: TaskState.STARTING,
    startedAt: record.startedAt ?? record.createdAt,
    endedAt: 0,
    counters: new ItemCounters(),
    errors: [],
    warnings: [],
    exitCode: 0,
    exitMessage: '',
    inProgress: 0,
  });
}
