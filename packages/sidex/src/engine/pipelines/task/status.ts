// The task status of docs/rocketride.md, built from what is known of a task.
import { isEndState, STATE_TEXT, TaskState, type TaskStatus } from '../task-state.js';
import type { TaskMetrics } from '@sidex/protocol';
import type { ItemCounters } from './counters.js';
import { emptyMetrics, NO_TOKENS } from './metrics.js';

export interface StatusFacts {
  name: string;
  projectId: string;
  source: string;
  token: string;
  executionId: string;
  threads: number;
  state: TaskState;
  /** Epoch ms. */
  startedAt: number;
  /** Epoch ms; 0 while the task runs. */
  endedAt: number;
  counters: ItemCounters;
  errors: readonly string[];
  warnings: readonly string[];
  exitCode: number;
  exitMessage: string;
  current?: { name: string; size: number } | undefined;
  inProgress: number;
  /** The components each item in progress is in, by pipe id. */
  byPipe?: Record<number, string[]>;
  metrics?: TaskMetrics;
}

/** Epoch ms as unix seconds (with milliseconds), as RocketRide reports times. */
export const unixSeconds = (ms: number): number => Math.round(ms) / 1000;

export function buildStatus(f: StatusFacts): TaskStatus {
  const c = f.counters;
  const ended = isEndState(f.state);
  return {
    name: f.name,
    project_id: f.projectId,
    source: f.source,
    completed: ended,
    state: f.state,
    startTime: unixSeconds(f.startedAt),
    endTime: ended ? unixSeconds(f.endedAt) : 0,
    debuggerAttached: false,
    status: STATE_TEXT[f.state],
    warnings: [...f.warnings],
    errors: [...f.errors],
    currentObject: ended ? '' : (f.current?.name ?? ''),
    currentSize: ended ? 0 : (f.current?.size ?? 0),
    notes: [],
    totalSize: c.totalSize,
    totalCount: c.totalCount,
    completedSize: c.completedSize,
    completedCount: c.completedCount,
    failedSize: c.failedSize,
    failedCount: c.failedCount,
    wordsSize: 0,
    wordsCount: 0,
    rateSize: ended ? 0 : c.rateSize,
    rateCount: ended ? 0 : c.rateCount,
    serviceUp: f.state === TaskState.RUNNING,
    exitCode: f.exitCode,
    exitMessage: f.exitMessage,
    pipeflow: { totalPipes: f.threads, byPipe: ended ? {} : (f.byPipe ?? {}) },
    metrics: f.metrics ?? emptyMetrics(),
    tokens: { ...NO_TOKENS, custom: {} },
    token: f.token,
    id: f.executionId,
    threads: f.threads,
    cancelledCount: c.cancelledCount,
    cancelledSize: c.cancelledSize,
    refusedCount: c.refusedCount,
    inProgressCount: ended ? 0 : f.inProgress,
  };
}
