/**
 * An error as code reports it outside the runtime's contract (Codebolt's IPC
 * `sideExecutionError`, a block's `actionBlockComplete` error): a string, an
 * Error-like object, or anything else, which gets `fallback` as its message.
 */
export function reportedError(error: unknown, fallback: string): { message: string; stack?: string } {
  if (typeof error === 'string') return { message: error };
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    const { message, stack } = error as { message: string; stack?: unknown };
    return typeof stack === 'string' ? { message, stack } : { message };
  }
  return { message: fallback };
}
