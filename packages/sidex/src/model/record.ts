import type { ErrorInfo, ExecutionStatus, StopReason } from '@sidex/protocol';

export type { ErrorInfo, ExecutionStatus, StopReason };
export { EXECUTION_STATUSES as STATUSES, TERMINAL_STATUSES, isTerminal } from '@sidex/protocol';

export type ExecutionKind = 'inline' | 'block' | 'command';

/** The code an execution ran: what a resume runs again. */
export type ExecutionSource =
  | { type: 'inline'; code: string; filename?: string }
  | { type: 'block'; entry: string; dir?: string }
  /** A program, its argv executed directly; `cwd`: where it ran, when not its scratch directory. */
  | { type: 'command'; argv: string[]; cwd?: string };

export interface StreamText {
  text: string;
  truncated: boolean;
  bytes: number;
}

/** Nothing written yet, on either stream. */
export function emptyOutput(): { stdout: StreamText; stderr: StreamText } {
  return { stdout: { text: '', truncated: false, bytes: 0 }, stderr: { text: '', truncated: false, bytes: 0 } };
}

/** How a cluster queues an execution; one machine runs everything in arrival order. */
export interface Schedule {
  /** -100..100, higher sooner; 0 by default. */
  priority?: number;
  /** Tags the worker that runs it must serve. */
  tags?: string[];
  /** Runs again after a failure this many times (none by default: code is not idempotent). */
  retries?: number;
  backoffMs?: number;
}

/** One record type for every dialect: side executions, capabilities, pipeline tasks. */
export interface ExecutionRecord {
  id: string;
  kind: ExecutionKind;
  name: string;
  /** Block directory, for block executions. */
  path?: string;
  params: unknown;
  timeoutMs?: number;
  memoryLimitBytes?: number;
  /** Most bytes of stdout and stderr together; beyond it the execution is stopped (output_limit). */
  outputLimitBytes?: number;
  /** Most processes and threads at once (pids_limit). */
  pidsLimit?: number;
  /** CPU quota, in cores. */
  cpuLimit?: number;
  status: ExecutionStatus;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  stoppedAt?: number;
  /** Final result, or the partial result of a stopped execution. */
  result?: unknown;
  error?: ErrorInfo;
  exitCode?: number | null;
  signal?: string | null;
  stopReason?: StopReason;
  /** Whether the stop needed SIGKILL. */
  forced?: boolean;
  checkpoint?: unknown;
  progress?: unknown;
  memory: { current: number; peak: number };
  cpuMicros: number;
  stdout: StreamText;
  stderr: StreamText;
  /** The environment marker of its process tree, to find survivors after a crash. */
  marker?: string;
  /** Execution this one resumes from. */
  resumedFrom?: string;
  /** The cluster worker that ran it (`sidex worker --name`); absent on one machine. */
  worker?: string;
  /** How the cluster queued it (docs/cluster.md). */
  schedule?: Schedule;
  /** Its place in the cluster's queue when a start answered `queued` (1: next); never stored. */
  queuePosition?: number;
  /** Its code (records written before this field existed have none and cannot be resumed). */
  source?: ExecutionSource;
  /** Dialect-specific facts (thread id, capability, executor...). */
  meta: Record<string, unknown>;
}

export function durationOf(record: Pick<ExecutionRecord, 'startedAt' | 'endedAt'>): number | undefined {
  if (record.startedAt === undefined) return undefined;
  return (record.endedAt ?? Date.now()) - record.startedAt;
}
