import type { BenchRow } from './row.js';

export function printTable(rows: BenchRow[]): void {
  const header = ['measure', 'sidex', 'baseline', 'baseline value', 'ratio', 'target', 'met'];
  const lines = rows.map((r) => [
    r.name,
    `${format(r.value)} ${r.unit}`,
    r.baseline ?? '',
    r.baselineValue === undefined ? '' : `${format(r.baselineValue)} ${r.unit}`,
    r.ratio ?? '',
    r.target ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
  ]);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const line of lines) console.log(`| ${line.join(' | ')} |`);
}

function format(n: number): string {
  if (!Number.isFinite(n) || Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}
