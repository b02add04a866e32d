/** An error a caller can act on: a stable code, a message that says what and where. */
export class SidexError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'SidexError';
  }
}

export function isSidexError(err: unknown): err is SidexError {
  return err instanceof SidexError;
}

/** What every dialect reports of an error: its code, message and details; anything not a SidexError is an internal error. */
export interface ErrorParts {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export function errorParts(err: unknown): ErrorParts {
  if (isSidexError(err)) return { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
  return { code: 'INTERNAL_ERROR', message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}
