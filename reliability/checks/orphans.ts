// Orphans: every hostile workload meets every cause of an end, RUNS times at
// once per cell, against real `sidex serve` processes. Per cell: processes
// left behind (by the execution's own marker, right after the cause and after
// a settle), output lost (numbered lines printed before "ready" must all be in
// the record, or in the log after a restart) and final statuses that disagree
// with the cause.
import type { SidexClient } from '@sidex/client';
import type { Check, CheckContext } from '../lib/check.js';
import { processesMarked, processesOf, sleep, until, type Fleet, type TestServer } from '../lib/servers.js';
import { figure, mustBe, type Row } from '../lib/table.js';
import { awaitReady, LINES, program, verdict, workloads, type Cause, type Launched, type WorkloadName } from '../lib/tagged-runs.js';

export const RUNS = Number(process.env.RELIABILITY_RUNS ?? 20);
const GRACE_MS = 500;
const TIMEOUT_MS = 3000;
const SETTLE_MS = 300;
/** The memory cause: a limit the tree passes once its worker starts allocating (see tagged-runs.ts). */
const MEMORY_LIMIT_MB = 160;
/** After SIGKILL the guardian kills the trees; the crash promise gives it 2 s. */
const KILL_SETTLE_MS = 2000;
const SHUTDOWN_GRACE_MS = 1000;
const CAUSES: Cause[] = ['stop', 'timeout', 'memory limit', 'server SIGTERM', 'server SIGKILL'];

interface Cell {
  workload: WorkloadName;
  cause: Cause;
  runs: number;
  /** Executions whose tree was not complete ("ready") when the cause struck: the cell did not test what it says. */
  notReady: number;
  leftAfterCause: number;
  leftAfterSettle: number;
  linesLost: number;
  wrongStatus: number;
  ms: number;
}

async function launch(client: SidexClient, workload: WorkloadName, cause: Cause, cell: string): Promise<Launched[]> {
  const timeout = cause === 'timeout' ? TIMEOUT_MS : undefined;
  const options = { graceMs: GRACE_MS, ...(cause === 'memory limit' ? { memoryLimitMb: MEMORY_LIMIT_MB } : {}) };
  return Promise.all(
    Array.from({ length: RUNS }, async (_, n) => {
      const tag = `${cell}#${n}`;
      const reply = await client.sideExecution.startWithCode(program(workload, tag, cause), {}, timeout, options);
      if (!reply.success) throw new Error(`${tag}: start failed: ${reply.error}`);
      return { id: reply.sideExecutionId, tag };
    }),
  );
}

const leftOf = (launched: Launched[]) => launched.reduce((n, l) => n + (l.marker ? processesMarked(l.marker).length : 0), 0);

async function judge(client: SidexClient, cell: Omit<Cell, 'linesLost' | 'wrongStatus' | 'notReady'>, launched: Launched[]): Promise<Cell> {
  const v = await verdict(client, launched, () => cell.cause);
  return { ...cell, linesLost: v.linesLost, wrongStatus: v.wrongStatus, notReady: v.notReady };
}

/** stop / timeout / memory limit: on one long-lived server. */
async function engineCause(client: SidexClient, workload: WorkloadName, cause: Cause): Promise<Cell> {
  const began = Date.now();
  const launched = await launch(client, workload, cause, `${workload}/${cause}`);
  if (cause === 'stop') {
    await awaitReady(client, launched, 20_000);
    await Promise.all(launched.map((l) => client.sideExecution.stop(l.id, { graceMs: GRACE_MS })));
  } else {
    // The cause strikes by itself; the execution is terminal only once its tree is gone.
    await awaitReady(client, launched, 20_000);
    await Promise.all(launched.map((l) => client.wait(l.id)));
  }
  const leftAfterCause = leftOf(launched);
  await sleep(SETTLE_MS);
  const leftAfterSettle = leftOf(launched);
  return judge(client, { workload, cause, runs: launched.length, leftAfterCause, leftAfterSettle, ms: Date.now() - began }, launched);
}

/** server SIGTERM / SIGKILL: one server per cell, restarted on its data directory to read the records back. */
async function serverCause(fleet: Fleet, workload: WorkloadName, cause: Cause): Promise<Cell> {
  const began = Date.now();
  const server = await fleet.start({ config: { shutdownGraceMs: SHUTDOWN_GRACE_MS } });
  const client = await fleet.client(server);
  const launched = await launch(client, workload, cause, `${workload}/${cause}`);
  await awaitReady(client, launched, 20_000);
  let leftAfterCause: number;
  if (cause === 'server SIGTERM') {
    await fleet.stop(server);
    leftAfterCause = processesOf(server.dataDir).length;
  } else {
    await fleet.kill(server);
    await until(() => processesOf(server.dataDir).length === 0, KILL_SETTLE_MS);
    leftAfterCause = processesOf(server.dataDir).length;
  }
  client.close();
  await sleep(SETTLE_MS);
  const leftAfterSettle = processesOf(server.dataDir).length;
  const again: TestServer = await fleet.restart(server);
  const reader = await fleet.client(again);
  const cell = await judge(reader, { workload, cause, runs: launched.length, leftAfterCause, leftAfterSettle, ms: Date.now() - began }, launched);
  reader.close();
  await fleet.stop(again);
  return cell;
}

function rows(cells: Cell[]): Row[] {
  const out: Row[] = [];
  const sum = (f: (c: Cell) => number, of = cells) => of.reduce((n, c) => n + f(c), 0);
  for (const c of cells) {
    const bad = c.leftAfterCause + c.leftAfterSettle + c.linesLost + c.wrongStatus + c.notReady;
    out.push({
      part: 'orphans',
      measure: `${c.workload} × ${c.cause}: ${c.runs} runs — left after cause / after settle / lines lost / wrong status / cause before ready (${(c.ms / 1000).toFixed(1)} s)`,
      value: `${c.leftAfterCause} / ${c.leftAfterSettle} / ${c.linesLost} / ${c.wrongStatus} / ${c.notReady}`,
      promise: '0 / 0 / 0 / 0 / 0',
      kept: bad === 0,
    });
  }
  const runs = sum((c) => c.runs);
  out.push(figure('orphans', 'executions (cells × runs)', `${runs} (${cells.length} × ${RUNS})`));
  out.push(mustBe('orphans', `processes left behind, all ${runs} executions (after the cause + after a settle)`, sum((c) => c.leftAfterCause + c.leftAfterSettle), 0));
  out.push(mustBe('orphans', `output lines lost of ${runs * LINES * 2} printed before "ready"`, sum((c) => c.linesLost), 0));
  out.push(mustBe('orphans', 'final statuses that disagree with the cause', sum((c) => c.wrongStatus), 0));
  out.push(mustBe('orphans', 'executions the cause struck before their tree was complete', sum((c) => c.notReady), 0));
  return out;
}

const orphans: Check = async ({ fleet, log }: CheckContext) => {
  const names = Object.keys(workloads) as WorkloadName[];
  const cells: Cell[] = [];
  const shared = await fleet.start();
  const client = await fleet.client(shared);
  for (const cause of CAUSES) {
    for (const workload of names) {
      log(`orphans: ${workload} × ${cause}`);
      cells.push(cause === 'server SIGTERM' || cause === 'server SIGKILL' ? await serverCause(fleet, workload, cause) : await engineCause(client, workload, cause));
    }
  }
  client.close();
  await fleet.stop(shared);
  const out = rows(cells);
  out.push(mustBe('orphans', 'processes of the shared server left after it stopped', processesOf(shared.dataDir).length, 0));
  return out;
};

export default orphans;
