// Where an error is in the user's code, shown as Node shows it: the file's
// place, the offending line, and a caret under the column.

/** The code the CLI read and sent, and the name it gave it (options.filename). */
export interface UserSource {
  name: string;
  code: string;
}

/** "file:line:col", the line and a caret; undefined when the place is not in `source`. */
export function codeFrame(source: UserSource, line: number, column: number): string | undefined {
  const text = source.code.split(/\r?\n/)[line - 1];
  if (text === undefined) return undefined;
  // Tabs stay tabs, so that the caret lines up however the terminal shows them.
  const lead = text.slice(0, Math.max(0, column - 1)).replace(/[^\t]/g, ' ');
  return `${source.name}:${line}:${column}\n${text}\n${lead}^\n`;
}

/** The frame of the first place of a stack that is in the user's file. */
export function stackFrame(source: UserSource, stack: string): string | undefined {
  const escaped = source.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const place = new RegExp(`(?:^|[\\s(])${escaped}:(\\d+):(\\d+)`, 'm').exec(stack);
  return place ? codeFrame(source, Number(place[1]), Number(place[2])) : undefined;
}

/** The frame of a SYNTAX_ERROR reply's place (details.line and column, the user's numbering). */
export function syntaxErrorFrame(reply: { code: string; details?: Record<string, unknown> }, source: UserSource): string | undefined {
  const { line, column } = reply.details ?? {};
  if (reply.code !== 'SYNTAX_ERROR' || typeof line !== 'number') return undefined;
  return codeFrame(source, line, typeof column === 'number' ? column : 1);
}
