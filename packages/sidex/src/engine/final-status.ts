import type { ExitInfo } from './pool/runtime-process.js';
import type { Outcome } from './execution.js';
import type { NewEvent } from '../store/execution-store.js';
import { isTerminal, type ErrorInfo, type ExecutionRecord, type ExecutionStatus, type StopReason } from './record.js';

export interface Ending {
  stopReason: StopReason | undefined;
  outcome: Outcome | undefined;
  exit: ExitInfo | undefined;
  stderrTail: string;
  lastCheckpoint: unknown;
  timeoutMs: number | undefined;
  memoryLimitBytes: number | undefined;
  outputLimitBytes: number | undefined;
}

export type FinalFields = Pick<ExecutionRecord, 'status' | 'result' | 'error'>;

/**
 * How an execution ended, decided once from what is known at the end. A stop
 * reason, when there is one, came first and decides; otherwise the runtime's
 * own report; otherwise how the process exited.
 */
export function finalFields(ending: Ending): FinalFields {
  const { stopReason, outcome } = ending;
  if (stopReason) {
    const partial =
      outcome?.kind === 'stopped' || outcome?.kind === 'result' ? outcome.value : ending.lastCheckpoint;
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
  supervisor_lost: 'failed',
};

function stopError(reason: StopReason, ending: Ending): ErrorInfo | undefined {
  switch (reason) {
    case 'timeout':
      return { code: 'TIMEOUT', message: `execution exceeded its timeout of ${ending.timeoutMs} ms` };
    case 'memory_limit':
      return { code: 'MEMORY_LIMIT', message: `execution exceeded its memory limit of ${ending.memoryLimitBytes} bytes` };
    case 'output_limit':
      return { code: 'OUTPUT_LIMIT', message: `execution wrote more than its output limit of ${ending.outputLimitBytes} bytes (stdout and stderr together)` };
    case 'supervisor_lost':
      return { code: 'SUPERVISOR_LOST', message: 'the server stopped without ending this execution' };
    default:
      return undefined;
  }
}

/** The process ended without telling why: its exit code, signal and stderr do. */
function exitFields({ exit, stderrTail, memoryLimitBytes }: Ending): FinalFields {
  if (!exit || (exit.code === 0 && !exit.signal)) return { status: 'completed' };
  if (/heap out of memory|Reached heap limit/.test(stderrTail)) {
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
