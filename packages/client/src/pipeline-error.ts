/**
 * A failed pipeline call: the server's refusal (its `message`, and sidex's
 * stable `code` such as TASK_NOT_FOUND or TASK_TERMINATING) or the client's
 * own failure (NOT_CONNECTED, CONNECTION_FAILED, CONNECTION_LOST, TIMEOUT,
 * CLOSED, UNAUTHORIZED). It is an Error, as RocketRide's client throws.
 */
export class PipelineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The DAP command that failed. */
    readonly command?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'PipelineError';
  }
}
