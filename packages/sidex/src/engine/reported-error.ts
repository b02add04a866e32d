/**
 * An error as code reports it outside the runtime's contract (Codebolt's IPC
 * `sideExecutionError`, a block's `actionBlockComplete` error): a string, an
 * Error-like object, or anything else, which gets `fallback` as its message.
 */
export function reportedError(error: unknown, fallback: string): { message: string; stack?: string } {
  if (typeof error === 'string') return { message: bounded(error) };
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    const { message, stack } = error as { message: string; stack?: unknown };
    return typeof stack === 'string' ? { message: bounded(message), stack: bounded(stack) } : { message: bounded(message) };
  }
  return { message: fallback };
}

/**
 * An error's text is kept to this many characters each (message, stack):
 * a record carries it in several fields and every list of records shows it,
 * so `throw new Error('x'.repeat(25e6))` made each status reply 150 MB and
 * a list of four longer than a string may be.
 */
export const MAX_ERROR_TEXT_CHARS = 64 * 1024;

/** `text` cut to `max` characters, saying how much was cut. */
export function bounded(text: string, max = MAX_ERROR_TEXT_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters not kept]`;
}
