// The shapes of sidex replies (shared/PROTOCOLS.md §1): fields flat and
// mirrored under `data`; on failure `success: false`, `error` and a `code`.

export type ExecutionStatus = 'queued' | 'starting' | 'running' | 'stopping' | 'completed' | 'failed' | 'stopped' | 'timeout';

export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'stopped', 'timeout'];

export interface OkReply<T> {
  type: string;
  success: true;
  message?: string;
  data: T;
  requestId?: string | number;
}

export interface FailReply {
  type: string;
  success: false;
  /** What went wrong, and where. */
  error: string;
  /** A stable error code, e.g. EXECUTION_NOT_FOUND. */
  code: string;
  details?: Record<string, unknown>;
  message?: string;
  data: Record<string, any>;
  requestId?: string | number;
  [field: string]: unknown;
}

export type Reply<T> = (OkReply<T> & T) | FailReply;

export interface ErrorInfo {
  code: string;
  message: string;
  stack?: string;
}

export interface StartFields {
  sideExecutionId: string;
  status: ExecutionStatus;
}

export interface StatusFields {
  sideExecutionId: string;
  status: ExecutionStatus;
  name: string;
  actionBlock?: string;
  threadId?: string;
  isRuntimeCode: boolean;
  createdAt: number;
  startTime: number;
  endTime?: number;
  duration?: number;
  params: unknown;
  timeout?: number;
  result?: unknown;
  output: string;
  error?: string;
  failure?: ErrorInfo;
  outputTruncated?: boolean;
  exitCode?: number | null;
  signal?: string | null;
  stopReason?: string;
  stoppedAt?: number;
  forced?: boolean;
  checkpoint?: unknown;
  progress?: unknown;
  memoryUsage: number;
  peakMemoryUsage: number;
  cpuTime: number;
}

export interface StopFields {
  sideExecutionId: string;
  status: ExecutionStatus | 'already_stopped';
  stoppedAt?: number;
  result?: unknown;
  output?: string;
  forced?: boolean;
}

export interface ActionBlock {
  id: string;
  name: string;
  description: string;
  version: string;
  entryPoint: string;
  path: string;
  type: 'filesystem' | 'runtime' | 'builtin';
  metadata: Record<string, unknown>;
}

export interface ListFilter {
  status?: ExecutionStatus | ExecutionStatus[];
  kind?: 'inline' | 'block';
  /** Which dialect started it: side executions, capabilities, pipeline tasks. */
  type?: 'side' | 'cap' | 'task';
  name?: string;
  q?: string;
  since?: number;
  until?: number;
  limit?: number;
  cursor?: string;
}

export interface StartOptions {
  memoryLimitMb?: number;
  graceMs?: number;
  env?: Record<string, string>;
  threadId?: string;
  /** The Codebolt agent on whose behalf it runs (PARENT_AGENT_ID of Codebolt-built blocks). */
  parentAgentId?: string;
  parentAgentInstanceId?: string;
  /** Handed to a Codebolt-built block in its actionBlockInvocation. */
  threadContext?: Record<string, unknown>;
  name?: string;
}

/** How a stop goes (a sidex extension): the grace before SIGKILL, or SIGKILL at once. */
export interface StopOptions {
  graceMs?: number;
  force?: boolean;
}

/** Live events of executions. */
export type ExecutionEvent =
  | {
      event: 'status';
      sideExecutionId: string;
      status: ExecutionStatus;
      name: string;
      time: number;
      terminal: boolean;
      result?: unknown;
      failure?: ErrorInfo;
      stopReason?: string;
      exitCode?: number | null;
    }
  | { event: 'output'; sideExecutionId: string; stream: 'stdout' | 'stderr'; data: string; time: number }
  | { event: 'checkpoint' | 'progress'; sideExecutionId: string; value: unknown; time: number };

/** Sent when events were dropped because this client read too slowly. */
export interface DroppedNotice {
  event: 'dropped';
  count: number;
  message: string;
  time: number;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  data: string;
  time: number;
}

/** One entry of an execution's history (what the store kept, not a live event). */
export interface HistoryEvent {
  seq: number;
  time: number;
  /** `status`, `checkpoint`, `stop_requested`. */
  type: string;
  data?: unknown;
}

export type CapabilityType = 'skill' | 'power' | 'talent';

/** Codebolt's `CapabilityFilter`: tags match if any of them does; the author in any case. */
export interface CapabilityFilter {
  type?: CapabilityType;
  tags?: string[];
  author?: string;
}

/** A problem found on disk: the item is left out of the listing. */
export interface CatalogWarning {
  file: string;
  field?: string;
  message: string;
}

export interface CapabilityInput {
  name: string;
  type: string;
  description?: string;
  required?: boolean;
  default?: unknown;
}

/** A skill, power or talent (Codebolt's `Capability`). */
export interface Capability {
  id: string;
  name: string;
  type: CapabilityType;
  version: string;
  description: string;
  path: string;
  source: 'project' | 'global' | 'builtin';
  entryPoint?: string;
  skillFile?: string;
  executor?: string;
  metadata: { author?: string; tags?: string[]; inputs?: CapabilityInput[]; outputs?: unknown[]; [key: string]: unknown };
}

/** getCapabilityDetail's capability: which executor would run it (or why none would), and a SKILL.md's instructions. */
export interface CapabilityDetail extends Capability {
  executorName?: string;
  executorError?: string;
  instructions?: string;
}

/** What runs capabilities of some types (Codebolt's `CapabilityExecutor`). */
export interface CapabilityExecutor {
  id: string;
  name: string;
  version: string;
  description: string;
  supportedTypes: CapabilityType[];
  entryPoint: string;
  path: string;
  source: 'project' | 'global' | 'builtin';
}

export type CapabilityStatus = 'starting' | 'running' | 'stopping' | 'stopped' | 'completed' | 'failed' | 'timeout';

/** A capability execution as the Codebolt dialect reports it, plus sidex's fields. */
export interface CapabilityExecution {
  id: string;
  capabilityName: string;
  capabilityType: CapabilityType;
  executorName: string;
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

export interface StartCapabilityFields {
  executionId: string;
  sideExecutionId: string;
  status: ExecutionStatus;
  executorName: string;
}

export interface StopCapabilityFields extends StopFields {
  executionId: string;
}

/** getExecutionStatus: `execution`, and its fields again flat (`res.data.status`). */
export type ExecutionStatusFields = CapabilityExecution & { execution: CapabilityExecution; executionId: string };
