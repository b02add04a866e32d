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
