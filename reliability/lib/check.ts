// What every part of the suite is given and answers.
import type { Fleet } from './servers.js';
import type { Row } from './table.js';

export interface CheckContext {
  fleet: Fleet;
  /** Progress to stderr (the table goes to stdout). */
  log(message: string): void;
}

export type Check = (context: CheckContext) => Promise<Row[]>;

/** Expected lines not found, in order, in `got`: 0 when nothing was lost. */
export function missingLines(expected: readonly string[], got: string): number {
  const lines = got.split('\n');
  let at = 0;
  let missing = 0;
  for (const line of expected) {
    const found = lines.indexOf(line, at);
    if (found === -1) missing++;
    else at = found + 1;
  }
  return missing;
}

export { percentile, round } from '../../bench/lib/row.js';
