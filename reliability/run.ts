// npm run reliability [-- part...]: tries to break sidex with real servers,
// real process trees and real sockets, prints one table of figures and exits
// non-zero when a promise is broken (or a part could not run to its end).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Check } from './lib/check.js';
import { Fleet } from './lib/servers.js';
import { broken, figure, mustBe, printTable, type Row } from './lib/table.js';

const parts: Array<[string, () => Promise<{ default: Check }>]> = [
  ['self-test', () => import('./checks/self-test.js')],
  ['orphans', () => import('./checks/orphans.js')],
  ['crash', () => import('./checks/crash.js')],
  ['load', () => import('./checks/load.js')],
  ['fuzz', () => import('./checks/fuzz.js')],
  ['hostile-code', () => import('./checks/hostile-code.js')],
  ['security', () => import('./checks/security.js')],
  ['isolation', () => import('./checks/isolation.js')],
  ['cluster', () => import('./checks/cluster.js')],
];
/** The whole suite is bounded: past this it stops, cleans up and fails. */
const DEADLINE_MS = 15 * 60_000;

const only = process.argv.slice(2);
const unknown = only.filter((name) => !parts.some(([p]) => p === name));
if (unknown.length > 0) {
  process.stderr.write(`reliability: unknown part ${unknown.join(', ')}; parts: ${parts.map(([p]) => p).join(', ')}\n`);
  process.exit(2);
}

const log = (message: string) => process.stderr.write(`reliability: ${message}\n`);
const rows: Row[] = [];
let fleet: Fleet | undefined;

async function abort(why: string): Promise<never> {
  log(why);
  await fleet?.cleanup();
  rows.push({ part: 'suite', measure: 'finished', value: why, promise: 'in time, not interrupted', kept: false });
  printTable(rows);
  process.exit(1);
}
process.once('SIGINT', () => void abort('interrupted (SIGINT)'));
process.once('SIGTERM', () => void abort('interrupted (SIGTERM)'));
setTimeout(() => void abort(`not finished after ${DEADLINE_MS / 60_000} minutes`), DEADLINE_MS).unref();

const began = Date.now();
rows.push(figure('suite', 'machine: cores / load average (1 min) when the suite began', `${os.cpus().length} / ${os.loadavg()[0]!.toFixed(2)}`));
for (const [name, load] of parts) {
  if (only.length > 0 && !only.includes(name)) continue;
  const partBegan = Date.now();
  log(`${name}...`);
  fleet = new Fleet(fs.mkdtempSync(path.join(os.tmpdir(), `sidex-reliability-${name}-`)));
  try {
    const check = (await load()).default;
    rows.push(...(await check({ fleet, log })));
  } catch (err) {
    log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    rows.push({ part: name, measure: 'ran to its end', value: (err as Error).message.split('\n')[0]!, promise: 'no error', kept: false });
  } finally {
    // Whatever a part left running is killed here, and counted: it must be nothing.
    const leftovers = await fleet.cleanup();
    rows.push(mustBe(name, 'processes still alive when the part ended (killed by the suite)', leftovers.processes.length, 0));
    rows.push(mustBe(name, "cgroups of its servers' data directories left once they stopped", leftovers.cgroups.length, 0));
    rows.push(figure(name, 'time taken', `${((Date.now() - partBegan) / 1000).toFixed(1)} s`));
  }
}
rows.push(figure('suite', 'total time', `${((Date.now() - began) / 1000).toFixed(1)} s`));
printTable(rows);
const failures = broken(rows);
if (failures.length > 0) log(`${failures.length} promise(s) broken: ${failures.map((r) => `${r.part}: ${r.measure}`).join('; ')}`);
process.exit(failures.length > 0 ? 1 : 0);
