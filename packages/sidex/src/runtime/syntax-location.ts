import type { ErrorInfo } from './messages.js';

export interface SyntaxPlace {
  /** V8's message, without a place. */
  message: string;
  line?: number;
  column?: number;
}

// V8 reports a compile error's place only in the stack header:
// "<file>:<line>\n<source line>\n<spaces>^^^\n\nSyntaxError: ...".
export function syntaxPlace(err: unknown, prefixLength = 0): SyntaxPlace {
  const e = err as Error;
  const [head = '', sourceLine = '', caretLine = ''] = (e.stack ?? '').split('\n');
  const line = Number(/:(\d+)$/.exec(head)?.[1]);
  let column = caretLine.indexOf('^') + 1;
  // The displayed first line still carries the wrapper prefix.
  if (line === 1 && column > 0 && sourceLine.length > 0) column -= prefixLength;
  return { message: e.message, ...(Number.isFinite(line) ? { line } : {}), ...(Number.isFinite(line) && column > 0 ? { column } : {}) };
}

/** A SYNTAX_ERROR whose message ends with its place: "... (line L, column C)". */
export function placedSyntaxError(place: SyntaxPlace): ErrorInfo {
  const { message, line, column } = place;
  const info: ErrorInfo = { code: 'SYNTAX_ERROR', message };
  if (line !== undefined) {
    info.line = line;
    info.message = `${message} (line ${line}${column !== undefined ? `, column ${column}` : ''})`;
  }
  if (column !== undefined) info.column = column;
  return info;
}

export function syntaxErrorInfo(err: unknown, prefixLength = 0): ErrorInfo {
  return placedSyntaxError(syntaxPlace(err, prefixLength));
}
