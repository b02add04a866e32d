import { SidexError } from '../errors.js';
import { InlineSyntaxError } from '../runtime/compile-inline.js';
import { prepareCheckedInline, type PreparedInline } from '../runtime/inline/prepare-inline.js';

/** What inline code's errors call it when its caller gave no file name. */
export const INLINE_DISPLAY_NAME = 'inline';

/**
 * Prepares inline code to run and compiles it (never runs it), so a syntax
 * error fails the start before anything is spawned: SYNTAX_ERROR, its
 * message and details at the file, line and column the user wrote.
 */
export function checkInlineSyntax(code: string, filename = INLINE_DISPLAY_NAME): PreparedInline {
  try {
    return prepareCheckedInline(code);
  } catch (err) {
    if (!(err instanceof InlineSyntaxError)) throw err;
    const { message, line, column } = err.place;
    const where = line === undefined ? filename : `${filename}:${line}${column !== undefined ? `:${column}` : ''}`;
    throw new SidexError('SYNTAX_ERROR', `${where}: ${message}`, { filename, ...(line ? { line } : {}), ...(column ? { column } : {}) });
  }
}
