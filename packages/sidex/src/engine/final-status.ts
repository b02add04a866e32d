import type { ExitInfo } from './pool/runtime-process.js';
import type { Outcome } from './execution.js';
import type { NewEvent } from '../store/execution-store.js';
import { isTerminal, type ErrorInfo, type ExecutionRecord, type ExecutionStatus, type StopReason } from '../model/record.js';

export interface Ending {
  stopReason: StopReason | undefined;
  outcome: Outcome | undefined;
  exit: ExitInfo | undefined;
  stderrTail: string;
  lastCheckpoint: unknown;
  /** What the onStop handlers returned, when the runtime sent it ahead of its report. */
  stopPartial?: unknown;
  timeoutMs: number | undefined;
  memoryLimitBytes: number | undefined;
  outputLimitBytes: number | undefined;
  pidsLimit?: number | undefined;
  /** The most memory it held: the kernel's count where a cgroup limited it, else the sampled whole-tree RSS. */
  memoryPeakBytes?: number | undefined;
  /** What ended it at its memory limit: the kernel's OOM killer, V8 at its heap limit, or the engine's sampling. */
  memoryLimitBy?: MemoryLimitBy | undefined;
}

export type MemoryLimitBy = 'kernel' | 'heap' | 'sampled';

export type FinalFields = Pick<ExecutionRecord, 'status' | 'result' | 'error'>;

/**
 * How an execution ended, decided once from what is known at the end. A stop
 * reason, when there is one, came first and decides; otherwise the runtime's
 * own report; otherwise how the process exited.
 */
export function finalFields(ending: Ending): FinalFields {
  const { stopReason, outcome } = ending;
  if (stopReason) {
    // A stop that ended in a kill has no report: its handlers' result if they returned in time, else the last checkpoint.
    const partial =
      outcome?.kind === 'stopped' || outcome?.kind === 'result' ? outcome.value : (ending.stopPartial ?? ending.lastCheckpoint);
    const fields: FinalFields = { status: statusForStop[stopReason], result: partial };
    const error = stopError(stopReason, ending);
    if (error) fields.error = error;
    return fields;
  }
  switch (outcome?.kind) {
    case 'result':
      return { status: 'completed', result: outcome.value };
    case 'failed':
    case 'startFailed':
      return { status: 'failed', error: outcome.error };
  }
  return exitFields(ending);
}

const statusForStop: Record<StopReason, ExecutionStatus> = {
  user: 'stopped',
  shutdown: 'stopped',
  timeout: 'timeout',
  memory_limit: 'failed',
  output_limit: 'failed',
  pids_limit: 'failed',
  supervisor_lost: 'failed',
};

function stopError(reason: StopReason, ending: Ending): ErrorInfo | undefined {
  switch (reason) {
    case 'timeout':
      return { code: 'TIMEOUT', message: `execution exceeded its timeout of ${ending.timeoutMs} ms` };
    case 'memory_limit':
      return { code: 'MEMORY_LIMIT', message: memoryMessage(ending) };
    case 'pids_limit':
      return { code: 'PIDS_LIMIT', message: `execution reached its limit of ${ending.pidsLimit} processes and threads: a fork or a new thread was refused` };
    case 'output_limit':
      return { code: 'OUTPUT_LIMIT', message: `execution wrote more than its output limit of ${ending.outputLimitBytes} bytes (stdout and stderr together)` };
    case 'supervisor_lost':
      return { code: 'SUPERVISOR_LOST', message: 'the server stopped without ending this execution' };
    default:
      return undefined;
  }
}

/** Plain words only: V8's fatal error and native stack stay in the stderr log, where they are the record of what happened. */
function memoryMessage({ memoryLimitBytes: limit, memoryPeakBytes: peak, memoryLimitBy: by }: Ending): string {
  const peakText = peak ? `; peak ${peak} bytes` : '';
  if (by === 'heap') return `execution ran out of JavaScript heap${limit ? ` (memory limit ${limit} bytes${peakText})` : peak ? ` (peak ${peak} bytes)` : ''}`;
  const killer = by === 'kernel' ? ': the kernel ended it' : '';
  return `execution exceeded its memory limit of ${limit} bytes${killer}${peak ? ` (peak ${peak} bytes)` : ''}`;
}

/**
 * How the runtime's process ended, as recorded. A runtime that has reported
 * its stop ends itself by SIGKILL (runtime/supervisor-link.ts), which skips
 * Node's slower exit: unless the engine killed it (a forced stop), that end
 * is recorded as the exit code 0 it stands for.
 */
export function recordedExit(exit: ExitInfo | undefined, outcome: Outcome | undefined, forced: boolean): ExitInfo | undefined {
  if (exit?.signal === 'SIGKILL' && outcome?.kind === 'stopped' && !forced) return { code: 0, signal: null };
  return exit;
}

/** V8 at its heap limit prints its fatal error and aborts the runtime. */
export function heapOverflowed(exit: ExitInfo | undefined, stderrTail: string): boolean {
  if (!exit || (exit.signal !== 'SIGABRT' && exit.code !== 134)) return false;
  return HEAP_OVERFLOW.test(stderrTail.slice(-16 * 1024));
}

const HEAP_OVERFLOW = /heap out of memory|Reached heap limit/;

/** The process ended without telling why: its exit code, signal and stderr do. */
function exitFields({ exit, stderrTail, memoryLimitBytes }: Ending): FinalFields {
  if (!exit || (exit.code === 0 && !exit.signal)) return { status: 'completed' };
  if (HEAP_OVERFLOW.test(stderrTail)) {
    return {
      status: 'failed',
      error: {
        code: 'MEMORY_LIMIT',
        message: `execution ran out of JavaScript heap${memoryLimitBytes ? ` (limit ${memoryLimitBytes} bytes)` : ''}`,
      },
    };
  }
  if (exit.signal) {
    return { status: 'failed', error: { code: 'KILLED', message: `process was killed by ${exit.signal}` } };
  }
  return { status: 'failed', error: { code: 'EXIT_CODE', message: `process exited with code ${exit.code}` } };
}

/** The history entry of a transition; an end carries how it ended. */
/**
 * The end of a try that a retry follows (StartSpec.retryFollows): the record
 * waits `queued` again, with the try's output; its history event keeps the
 * try's failure, marked `retry`.
 */
export function retryPending(ended: ExecutionRecord): { record: ExecutionRecord; event: NewEvent } {
  const { endedAt: _endedAt, error: _error, result: _result, exitCode: _exitCode, signal: _signal, ...waiting } = ended;
  const failed = statusEvent(ended);
  return { record: { ...waiting, status: 'queued' }, event: { ...failed, data: { ...(failed.data as Record<string, unknown>), status: 'queued', retry: true } } };
}

export function statusEvent(record: ExecutionRecord): NewEvent {
  const ended = isTerminal(record.status);
  return {
    time: Date.now(),
    type: 'status',
    data: {
      status: record.status,
      ...(ended && record.stopReason ? { stopReason: record.stopReason, forced: record.forced ?? false } : {}),
      ...(ended && record.error ? { error: { code: record.error.code, message: record.error.message } } : {}),
      ...(ended && record.exitCode !== undefined ? { exitCode: record.exitCode, signal: record.signal ?? null } : {}),
    },
  };
}
