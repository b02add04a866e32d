// The shapes of the RocketRide dialect (docs/rocketride.md): what the
// server's DAP socket sends and what the PipelineClient reads.

/** A DAP message: a request the client sends, a response or an event it receives. */
export interface DapMessage {
  type: 'request' | 'response' | 'event';
  seq: number;
  command?: string;
  arguments?: Record<string, unknown>;
  request_seq?: number;
  success?: boolean;
  /** Why a request failed. */
  message?: string;
  /** sidex: a stable error code (TASK_NOT_FOUND, TASK_TERMINATING, ...). */
  code?: string;
  details?: Record<string, unknown>;
  body?: any;
  event?: string;
}

/** RocketRide's task states, as integers on the wire. */
export const TaskState = {
  NONE: 0,
  STARTING: 1,
  INITIALIZING: 2,
  RUNNING: 3,
  STOPPING: 4,
  COMPLETED: 5,
  CANCELLED: 6,
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/** RocketRide's TASK_METRICS. */
export interface TaskMetrics {
  cpu_percent: number;
  cpu_memory_mb: number;
  gpu_memory_mb: number;
  peak_cpu_percent: number;
  peak_cpu_memory_mb: number;
  peak_gpu_memory_mb: number;
  avg_cpu_percent: number;
  avg_cpu_memory_mb: number;
  avg_gpu_memory_mb: number;
}

/** RocketRide's TASK_TOKENS. */
export interface TaskTokens {
  cpu_utilization: number;
  cpu_memory: number;
  gpu_memory: number;
  gpu_inference: number;
  custom: Record<string, number>;
  total: number;
}

/** The status of a task (RocketRide's TASK_STATUS); sidex adds `cancelledCount`, `refusedCount` and a few facts of its own. */
export interface TaskStatus {
  name: string;
  project_id: string;
  source: string;
  completed: boolean;
  state: TaskState;
  /** Unix seconds. */
  startTime: number;
  /** Unix seconds; 0 while the task runs. */
  endTime: number;
  debuggerAttached: boolean;
  status: string;
  warnings: string[];
  errors: string[];
  currentObject: string;
  currentSize: number;
  notes: Array<string | Record<string, unknown>>;
  totalSize: number;
  totalCount: number;
  completedSize: number;
  completedCount: number;
  failedSize: number;
  failedCount: number;
  wordsSize: number;
  wordsCount: number;
  rateSize: number;
  rateCount: number;
  serviceUp: boolean;
  exitCode: number;
  exitMessage: string;
  /** For each item in progress (by pipe id), the components it is in, outermost first. */
  pipeflow: { totalPipes: number; byPipe: Record<number, string[]> };
  /** The task process's resource use (CPU normalized to 0-100 %, memory in MB); GPU is always 0. */
  metrics: TaskMetrics;
  /** RocketRide's billing tokens: sidex bills nothing, so every count is 0. */
  tokens: TaskTokens;
  // sidex's own
  token: string;
  /** The execution that runs the task. */
  id: string;
  threads: number;
  /** Items accepted but cancelled when the drain deadline passed or the task ended. */
  cancelledCount: number;
  cancelledSize: number;
  /** Opens refused because the task was terminating or had ended. */
  refusedCount: number;
  /** Items accepted and not yet finished. */
  inProgressCount: number;
}

/**
 * The per-item result the response components build (RocketRide's
 * PIPELINE_RESULT): `result_types` maps each result field to its lane type.
 */
export interface PipelineResult {
  name: string;
  path: string;
  objectId: string;
  /** Absent when no response component collected anything (as RocketRide's). */
  result_types?: Record<string, string>;
  // `any`, as RocketRide's PIPELINE_RESULT: programs index the fields (`result.text[0]`).
  [lane: string]: any;
}

/** What `use()` answers. */
export interface UseResult {
  token: string;
  id: string;
  publicToken: string;
  projectId: string;
  source: string;
  name: string;
}

/** What `connect()` answers: who the server took this client for. */
export interface ConnectResult {
  userId: string;
  displayName: string;
  organizations: Array<{ id: string; [field: string]: unknown }>;
  teams: unknown[];
  server?: { name: string; version: string };
  [field: string]: unknown;
}

export interface ValidationResult {
  valid: boolean;
  errors: Array<{ message: string; [field: string]: unknown }>;
  warnings: Array<{ message: string; [field: string]: unknown }>;
  source?: string;
}

export interface TaskSummary {
  id: string;
  token: string;
  name: string;
  projectId: string;
  source: string;
  state: TaskState;
  status: string;
  startTime: number;
}

/** A monitor: one task by token, or `'*'` for every task. */
export type MonitorKey = { token: string } | { projectId: string; source: string; pipeId?: number };
