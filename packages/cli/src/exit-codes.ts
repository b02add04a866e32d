import type { ExecutionStatus } from '@sidex/client';

/** What a script can tell from `sidex`'s exit code. */
export const EXIT = {
  completed: 0,
  failed: 1,
  /** Bad usage or input: unknown option, unreadable file, syntax error, server refused. */
  usage: 2,
  /** Could not reach the server (or it did not answer in time). */
  unavailable: 3,
  /** No such execution, action block, capability or task. */
  notFound: 4,
  /** The server refused the API key. */
  unauthorized: 5,
  timeout: 124,
  stopped: 130,
} as const;

export function exitCodeFor(status: ExecutionStatus | 'already_stopped'): number {
  switch (status) {
    case 'completed':
      return EXIT.completed;
    case 'timeout':
      return EXIT.timeout;
    case 'stopped':
    case 'already_stopped':
      return EXIT.stopped;
    default:
      return EXIT.failed;
  }
}
