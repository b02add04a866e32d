// A task's status once it has ended, from its execution's record in the store:
// the supervisor keeps the status as the execution's progress, and sets the
// final one before it ends the process.
import { isTerminal, type ExecutionRecord } from '../../engine/record.js';
import { isEndState, STATE_TEXT, TaskState, type TaskStatus } from '../model.js';
import { pushBounded } from './counters.js';

const seconds = (ms: number | undefined) => (ms === undefined ? 0 : Math.round(ms) / 1000);

export function statusFromRecord(record: ExecutionRecord): TaskStatus {
  const kept = isStatus(record.progress) ? record.progress : bareStatus(record);
  if (!isTerminal(record.status) || isEndState(kept.state)) return kept;
  // The process ended before a final status was set (it crashed, or the server
  // died with it): what the record says of its end completes the last status.
  const why = record.error?.message ?? `its execution ended with status ${record.status}`;
  const errors = [...kept.errors];
  pushBounded(errors, `the task process ended: ${why}`);
  return {
    ...kept,
    state: TaskState.COMPLETED,
    status: STATE_TEXT[TaskState.COMPLETED],
    completed: true,
    serviceUp: false,
    endTime: seconds(record.endedAt),
    exitCode: typeof record.exitCode === 'number' && record.exitCode !== 0 ? record.exitCode : 1,
    exitMessage: kept.exitMessage || why,
    errors,
    currentObject: '',
    currentSize: 0,
    rateCount: 0,
    rateSize: 0,
    inProgressCount: 0,
  };
}

function isStatus(value: unknown): value is TaskStatus {
  return value !== null && typeof value === 'object' && typeof (value as TaskStatus).state === 'number' && Array.isArray((value as TaskStatus).errors);
}

/** A task that never reported a status: what its record tells. */
function bareStatus(record: ExecutionRecord): TaskStatus {
  const meta = record.meta as { pipelineToken?: string; projectId?: string; source?: string; threads?: number };
  const threads = meta.threads ?? 1;
  return {
    name: record.name,
    project_id: meta.projectId ?? '',
    source: meta.source ?? '',
    completed: false,
    state: TaskState.STARTING,
    startTime: seconds(record.startedAt ?? record.createdAt),
    endTime: 0,
    debuggerAttached: false,
    status: STATE_TEXT[TaskState.STARTING],
    warnings: [],
    errors: [],
    currentObject: '',
    currentSize: 0,
    notes: [],
    totalSize: 0,
    totalCount: 0,
    completedSize: 0,
    completedCount: 0,
    failedSize: 0,
    failedCount: 0,
    wordsSize: 0,
    wordsCount: 0,
    rateSize: 0,
    rateCount: 0,
    serviceUp: false,
    exitCode: 0,
    exitMessage: '',
    pipeflow: { totalPipes: threads, byPipe: {} },
    token: meta.pipelineToken ?? '',
    id: record.id,
    threads,
    cancelledCount: 0,
    cancelledSize: 0,
    refusedCount: 0,
    inProgressCount: 0,
  };
}
