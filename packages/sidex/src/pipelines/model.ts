// The pipeline dialect's shapes (shared/PROTOCOLS.md §3), as sidex uses them on
// both sides of a task: the server-side supervisor and the host in the child.

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

export const isEndState = (state: number): boolean => state === TaskState.COMPLETED || state === TaskState.CANCELLED;

/** The `status` text of each state; a user terminate ends in CANCELLED / 'Stopped'. */
export const STATE_TEXT: Record<TaskState, string> = {
  0: 'None',
  1: 'Starting',
  2: 'Initializing',
  3: 'Running',
  4: 'Stopping',
  5: 'Completed',
  6: 'Stopped',
};

export type ProviderRole = 'source' | 'transform' | 'sink';

/** One `{lane, from}` connection: this component reads `lane` of component `from`. */
export interface LaneInput {
  lane: string;
  from: string;
}

/** A component after validation: what the task host needs to build it. */
export interface ResolvedComponent {
  id: string;
  provider: string;
  role: ProviderRole;
  config: Record<string, unknown>;
  input: LaneInput[];
  /** Absolute entry file of an `actionblock` component, resolved and confined by the server. */
  blockEntry?: string;
}

/** A validated pipeline: the parameters of a task's host. */
export interface ResolvedPipeline {
  name: string;
  projectId: string;
  source: string;
  components: ResolvedComponent[];
}

/** The metadata of one item, as the caller opened it. */
export interface ItemInfo {
  name: string;
  objectId: string;
  mimeType: string;
  size: number;
}

/**
 * The per-item result the response components build (RocketRide's
 * PIPELINE_RESULT): `result_types` maps each result field to its lane type.
 */
export interface ItemResult {
  name: string;
  path: string;
  objectId: string;
  result_types: Record<string, string>;
  [field: string]: unknown;
}

/** The task status of §3; sidex adds `cancelledCount`, `refusedCount` and a few facts of its own. */
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
  pipeflow: { totalPipes: number; byPipe: Record<number, string[]> };
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
