// The one table every part of `npm run reliability` adds rows to: a figure,
// the promise it is held against, and whether the promise was kept.

export interface Row {
  /** Which part measured it: orphans, crash, load, fuzz, security, self-test. */
  part: string;
  measure: string;
  value: string | number;
  /** The promise, e.g. "0" or "all refused"; absent for a figure that is only reported. */
  promise?: string;
  /** Whether the promise was kept; absent for a figure that is only reported. */
  kept?: boolean;
}

/** A row held to "must be `expected`". */
export function mustBe(part: string, measure: string, value: number | string | boolean, expected: number | string | boolean): Row {
  return { part, measure, value: typeof value === "boolean" ? String(value) : value, promise: String(expected), kept: value === expected };
}

/** A figure reported beside the promises (latency, counts, how long a part took). */
export function figure(part: string, measure: string, value: string | number): Row {
  return { part, measure, value };
}

export const broken = (rows: readonly Row[]): Row[] => rows.filter((r) => r.kept === false);

export function printTable(rows: readonly Row[], write: (line: string) => void = (line) => console.log(line)): void {
  const header = ['part', 'measure', 'value', 'promise', 'kept'];
  write(`| ${header.join(' | ')} |`);
  write(`|${header.map(() => '---').join('|')}|`);
  for (const r of rows) {
    const value = typeof r.value === 'number' ? format(r.value) : r.value;
    write(`| ${[r.part, r.measure, value, r.promise ?? '', r.kept === undefined ? '' : r.kept ? 'yes' : 'NO'].join(' | ')} |`);
  }
}

function format(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
