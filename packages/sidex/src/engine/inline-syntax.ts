import { SidexError } from '../errors.js';
import { checkInlineSyntax as check, InlineSyntaxError } from '../runtime/compile-inline.js';

/** Compiles (never runs) inline code, so a syntax error fails the start before anything is spawned. */
export function checkInlineSyntax(code: string): void {
  try {
    check(code);
  } catch (err) {
    if (!(err instanceof InlineSyntaxError)) throw err;
    const { line, column } = err.info;
    throw new SidexError('SYNTAX_ERROR', err.info.message, { ...(line ? { line } : {}), ...(column ? { column } : {}) });
  }
}
