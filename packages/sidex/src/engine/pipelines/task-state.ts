// A task's state (docs/rocketride.md) as the server-side supervisor keeps
// it. What crosses the wire is the client's.
import { TaskState } from '@sidex/protocol';

export { TaskState };
export type { TaskStatus } from '@sidex/protocol';

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
