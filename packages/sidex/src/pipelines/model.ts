// The pipeline dialect's shapes (shared/PROTOCOLS.md §3), as sidex uses them on
// both sides of a task: the server-side supervisor and the host in the child.
// What crosses the wire is the protocol package's.
import { TaskState } from '@sidex/protocol';

export { TaskState };
export type { PipelineResult as ItemResult, TaskStatus } from '@sidex/protocol';

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
