// The shapes of sidex replies (docs/codebolt.md): fields flat and
// mirrored under `data`; on failure `success: false`, `error` and a `code`.
import type { CapabilityStatus, CapabilityType, ExecutionStatus } from './statuses.js';

/** Why an execution was stopped: the first reason wins. */
export type StopReason = 'user' | 'timeout' | 'memory_limit' | 'output_limit' | 'pids_limit' | 'shutdown' | 'supervisor_lost';

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
  /** The request's known fields plus code and error, so `res.data.x` never throws. */
  data: Record<string, any>;
  requestId?: string | number;
  [field: string]: unknown;
}

export type Reply<T> = (OkReply<T> & T) | FailReply;

export interface ErrorInfo {
  code: string;
  message: string;
  stack?: string;
  /** Where a SYNTAX_ERROR is. */
  line?: number;
  column?: number;
  /** The file a COMMAND_NOT_FOUND or COMMAND_NOT_EXECUTABLE start tried to exec. */
  path?: string;
}

export interface StartFields {
  sideExecutionId: string;
  status: ExecutionStatus;
}

/** What a status reply tells about an execution (Codebolt field names, plus sidex's own). */
export interface StatusFields {
  sideExecutionId: string;
  status: ExecutionStatus;
  name: string;
  actionBlock?: string;
  /** A command execution's program and arguments. */
  command?: string[];
  threadId?: string;
  isRuntimeCode: boolean;
  createdAt: number;
  /** Epoch ms: when it began running (or was created, while queued). */
  startTime: number;
  endTime?: number;
  duration?: number;
  params: unknown;
  timeout?: number;
  result?: unknown;
  /** stdout captured so far (the last 1 MB by default). */
  output: string;
  /** stderr captured so far; for a failed execution without stderr, the failure message. */
  error?: string;
  failure?: ErrorInfo;
  outputTruncated?: boolean;
  exitCode?: number | null;
  signal?: string | null;
  stopReason?: StopReason;
  stoppedAt?: number;
  forced?: boolean;
  checkpoint?: unknown;
  progress?: unknown;
  /** Resident memory of the whole process tree, bytes. */
  memoryUsage: number;
  peakMemoryUsage: number;
  /** CPU time of the whole process tree, ms. */
  cpuTime: number;
  /** The execution this one resumes. */
  resumedFrom?: string;
  /** The cluster worker that ran it (`sidex worker --name`). */
  worker?: string;
}

/** One process of a running execution's tree (host pids). */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  command: string;
  /** Resident memory, bytes. */
  memoryBytes: number;
  cpuMs: number;
}

export interface StopFields {
  sideExecutionId: string;
  status: ExecutionStatus | 'already_stopped';
  stoppedAt?: number;
  result?: unknown;
  output?: string;
  forced?: boolean;
}

export type ActionBlockSource = 'filesystem' | 'runtime' | 'builtin';

/** An action block as the Codebolt dialect describes it (docs/codebolt.md). */
export interface ActionBlock {
  id: string;
  name: string;
  description: string;
  version: string;
  /** Entry file, relative to the block directory. */
  entryPoint: string;
  /** Block directory (absolute). */
  path: string;
  type: ActionBlockSource;
  /**
   * `codebolt`: a Codebolt SDK program, run with Codebolt's environment and
   * settled over the WebSocket or IPC; `sidex`: an entry that exports a
   * function (params, ctx) or a plain script.
   */
  protocol: 'sidex' | 'codebolt';
  metadata: {
    author?: string;
    tags?: string[];
    /** Package names, as Codebolt's SDK types them. */
    dependencies?: string[];
    inputs?: InputSpec[];
    outputs?: InputSpec[];
    // The manifest's other metadata passes through.
    [key: string]: unknown;
  };
}

export interface ListFilter {
  status?: ExecutionStatus | ExecutionStatus[];
  kind?: 'inline' | 'block' | 'command';
  /** Which dialect started it: side executions, capabilities, pipeline tasks. */
  type?: 'side' | 'cap' | 'task';
  name?: string;
  q?: string;
  since?: number;
  until?: number;
  limit?: number;
  cursor?: string;
}

export type NetworkOption = 'all' | 'none' | { allow: string[] };

export interface StartOptions {
  memoryLimitMb?: number;
  /** Most processes and threads the execution may have at once (the server's default otherwise, 1024). */
  pidsLimit?: number;
  /** CPU time the execution may use, in cores (0.5: half of one); none otherwise. */
  cpuLimit?: number;
  /** Most output (stdout and stderr together) the execution may write, MB; the server's default otherwise. */
  outputLimitMb?: number;
  /** Its sandbox's network: `all`, `none` (loopback only), or only the listed hosts through the server's filtering proxy. */
  network?: NetworkOption;
  graceMs?: number;
  env?: Record<string, string>;
  threadId?: string;
  /** The Codebolt agent on whose behalf it runs (PARENT_AGENT_ID of Codebolt-built blocks). */
  parentAgentId?: string;
  parentAgentInstanceId?: string;
  /** Handed to a Codebolt-built block in its actionBlockInvocation. */
  threadContext?: Record<string, unknown>;
  name?: string;
  /** What inline code's errors call it (e.g. the file it was read from); "inline" otherwise. Not for action blocks. */
  filename?: string;
}

/** Bytes on the wire: UTF-8 text, or base64 for anything else. */
export interface WireBytes {
  data?: string;
  encoding?: 'utf8' | 'base64';
}

/** A command's stdin at start: text, or bytes with `open` to write more while it runs. Absent: /dev/null. */
export type StdinField = string | (WireBytes & { open?: boolean });

/** A command start (`startSideExecution` with `command`, a sidex extension). */
export interface StartCommandFields {
  /** The program and its arguments, executed directly: no shell unless the caller names one. */
  command: string[];
  /** Its working directory, inside the server's allowed roots; default: its own scratch directory. */
  cwd?: string;
  env?: Record<string, string>;
  stdin?: StdinField;
  timeout?: number;
  options?: StartOptions;
}

/** The answer to a stdin write. */
export interface StdinWrittenFields {
  sideExecutionId: string;
  written: number;
  /** Bytes written that the program has not read yet (at most 16 MB may wait). */
  pendingBytes: number;
  stdinOpen: boolean;
}

/** How a stop goes (a sidex extension): the grace before SIGKILL, or SIGKILL at once. */
export interface StopOptions {
  graceMs?: number;
  force?: boolean;
}

/** Live events of executions (`type: 'sideExecutionEvent'`). */
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
      stopReason?: StopReason;
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
  /** Text, or with `encoding: 'base64'` the exact bytes. */
  data: string;
  time: number;
  /** Present when the logs were asked for as base64. */
  encoding?: 'base64';
}

/** One entry of an execution's history (what the store kept, in order; not a live event). */
export interface HistoryEvent {
  /** 1, 2, 3... within the execution. */
  seq: number;
  time: number;
  /** `status` (a transition), `checkpoint`, `stop_requested`. */
  type: string;
  data?: unknown;
}

/** Codebolt's `CapabilityFilter`: tags match if any of them does; the author in any case. */
export interface CapabilityFilter {
  type?: CapabilityType;
  tags?: string[];
  author?: string;
}

/** A problem found while reading the catalog, precise enough to fix it. */
export interface CatalogWarning {
  file: string;
  field?: string;
  message: string;
}

/** One declared input, as Codebolt writes it (docs/codebolt.md). */
export interface InputSpec {
  name: string;
  type: string;
  description?: string;
  required?: boolean;
  default?: unknown;
}

export type CapabilityInput = InputSpec;

/** Where an item was found: project over global over built-in. */
export type CatalogSource = 'project' | 'global' | 'builtin';

/** A skill, power or talent (Codebolt's `Capability`). */
export interface Capability {
  id: string;
  name: string;
  type: CapabilityType;
  version: string;
  description: string;
  /** Capability directory (absolute). */
  path: string;
  source: CatalogSource;
  /** Entry file relative to `path`, when the capability has code of its own. */
  entryPoint?: string;
  /** Its SKILL.md (absolute), when it has one. */
  skillFile?: string;
  /** The executor its manifest asks for; otherwise the first that supports its type. */
  executor?: string;
  metadata: { author?: string; tags?: string[]; inputs?: InputSpec[]; outputs?: unknown[]; [key: string]: unknown };
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
  /** Entry file relative to `path`. */
  entryPoint: string;
  /** Executor directory (absolute). */
  path: string;
  source: CatalogSource;
}

/** A capability execution as the Codebolt dialect reports it, plus sidex's fields. */
export interface CapabilityExecution {
  id: string;
  capabilityName: string;
  capabilityType: CapabilityType;
  executorName: string;
  /** The capability runs as a side execution: the same record, the same id. */
  sideExecutionId: string;
  /** The Codebolt thread and agent it runs for ('' when the caller said none): its start's options, else what its connection said. */
  threadId: string;
  parentAgentId: string;
  parentAgentInstanceId: string;
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
