// npm run bench: every row measured side by side with its baseline in this
// one run, printed as one table. Suites run one after another so they do not
// disturb each other's figures.
import type { BenchRow, BenchSuite } from './lib/row.js';
import { printTable } from './lib/table.js';

const suites: Array<[string, () => Promise<{ default: BenchSuite }>]> = [
  ['engine', () => import('./suites/engine.js')],
  ['store', () => import('./suites/store.js')],
  ['pipelines', () => import('./suites/pipelines.js')],
  ['server', () => import('./suites/server.js')],
  ['sandbox', () => import('./suites/sandbox.js')],
  ['unwind', () => import('./suites/unwind.js')],
  ['commands', () => import('./suites/commands.js')],
  ['dashboard', () => import('./suites/dashboard.js')],
  ['cluster', () => import('./suites/cluster.js')],
];

// `npm run bench -- engine server`: those suites, in this file's order.
const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const [name, load] of suites) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  const suite = (await load()).default;
  rows.push(...(await suite()));
}
printTable(rows);
process.exit(0);
