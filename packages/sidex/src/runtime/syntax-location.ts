import type { ErrorInfo } from './messages.js';

// V8 reports a compile error's place only in the stack header:
// "<file>:<line>\n<source line>\n<spaces>^^^\n\nSyntaxError: ...".
export function syntaxErrorInfo(err: unknown, prefixLength = 0): ErrorInfo {
  const e = err as Error;
  const [head = '', sourceLine = '', caretLine = ''] = (e.stack ?? '').split('\n');
  const line = Number(/:(\d+)$/.exec(head)?.[1]);
  let column = caretLine.indexOf('^') + 1;
  // The displayed first line still carries the wrapper prefix.
  if (line === 1 && column > 0 && sourceLine.length > 0) column -= prefixLength;
  const info: ErrorInfo = { code: 'SYNTAX_ERROR', message: e.message };
  if (Number.isFinite(line)) {
    info.line = line;
    info.message = `${e.message} (line ${line}${column > 0 ? `, column ${column}` : ''})`;
  }
  if (column > 0) info.column = column;
  return info;
}
