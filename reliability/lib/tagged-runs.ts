// Executions whose every end can be checked: each prints its tree marker, then
// numbered lines on stdout and stderr, then runs a hostile workload of the test
// fixtures (which prints "ready" once all its processes exist). Shared by the
// orphan and crash parts.
import type { SidexClient, StatusFields } from '@sidex/client';
import { workloads, type WorkloadName } from '../../packages/sidex/test/fixtures/workloads.js';
import { missingLines } from './check.js';
import { until } from './servers.js';

export { workloads, type WorkloadName };

/** Numbered lines each execution prints on stdout and on stderr before its workload starts. */
export const LINES = 100;

export type Cause = 'stop' | 'timeout' | 'memory limit' | 'server SIGTERM' | 'server SIGKILL';

/** The final status each cause must leave. */
export const EXPECTED: Record<Cause, { status: string; stopReason: string; code?: string }> = {
  stop: { status: 'stopped', stopReason: 'user' },
  timeout: { status: 'timeout', stopReason: 'timeout' },
  'memory limit': { status: 'failed', stopReason: 'memory_limit', code: 'MEMORY_LIMIT' },
  'server SIGTERM': { status: 'stopped', stopReason: 'shutdown' },
  'server SIGKILL': { status: 'failed', stopReason: 'supervisor_lost', code: 'SUPERVISOR_LOST' },
};

export function statusAgrees(cause: Cause, s: Pick<StatusFields, 'status' | 'stopReason' | 'failure'>): boolean {
  const want = EXPECTED[cause];
  return s.status === want.status && s.stopReason === want.stopReason && (want.code === undefined || s.failure?.code === want.code);
}

const expectedLines = (stream: 'out' | 'err', tag: string) => Array.from({ length: LINES }, (_, i) => `${stream} ${i + 1}/${LINES} ${tag}`);

/**
 * The memory cause: the limit is on the whole tree's RSS (sampled every
 * 250 ms), and the workloads themselves stay small (a runtime is ~50 MB). So
 * for this cause a worker thread in the execution starts allocating (8 MB of
 * filled Buffers every 20 ms, outside the V8 heap) the moment the workload
 * prints "ready": the tree is complete when the limit strikes, even in the
 * busy loop, whose main thread never yields.
 */
const allocateAfterReady = `
    const { Worker } = require('node:worker_threads');
    const readyFlag = new Int32Array(new SharedArrayBuffer(4));
    const print = console.log;
    console.log = (...args) => { print(...args); if (args[0] === 'ready') Atomics.store(readyFlag, 0, 1); };
    new Worker("const flag = require('node:worker_threads').workerData; const hog = []; setInterval(() => { if (Atomics.load(flag, 0) === 1) hog.push(Buffer.alloc(8 << 20, 1)); }, 20);", { eval: true, workerData: readyFlag });`;

/** The workload, preceded by its marker line, its numbered lines and (memory cause) the allocating worker. */
export function program(workload: WorkloadName, tag: string, cause: Cause): string {
  return `console.log('mark ' + process.env.SIDEX_MARK);
    for (let i = 1; i <= ${LINES}; i++) { console.log('out ' + i + '/${LINES} ${tag}'); console.error('err ' + i + '/${LINES} ${tag}'); }
    ${cause === 'memory limit' ? allocateAfterReady : ''}
    ${workloads[workload]}`;
}

export interface Launched {
  id: string;
  tag: string;
  /** SIDEX_MARK of its tree, read from its first line of output. */
  marker?: string;
}

export const markerIn = (output: string): string | undefined => /^mark (\S+)$/m.exec(output)?.[1];
const TERMINAL = ['completed', 'failed', 'stopped', 'timeout'];

/** Waits until every execution printed "ready" (or ended); records their markers. */
export async function awaitReady(client: SidexClient, launched: Launched[], timeoutMs: number): Promise<void> {
  await until(async () => {
    const statuses = await Promise.all(launched.map((l) => client.sideExecution.getStatus(l.id)));
    let pending = 0;
    statuses.forEach((s, i) => {
      if (!s.success) return;
      launched[i]!.marker ??= markerIn(s.output);
      if (!/^ready$/m.test(s.output) && !TERMINAL.includes(s.status)) pending++;
    });
    return pending === 0;
  }, timeoutMs, 100);
}

export interface Verdict {
  /** Records the server no longer knows. */
  missing: number;
  linesLost: number;
  wrongStatus: number;
  /** Executions whose tree was not complete ("ready") when the cause struck: the check did not test what it says. */
  notReady: number;
}

/** Reads every record back and holds it to its cause: all lines there, the status the cause must leave. */
export async function verdict(client: SidexClient, launched: Launched[], causeOf: (l: Launched) => Cause): Promise<Verdict> {
  const v: Verdict = { missing: 0, linesLost: 0, wrongStatus: 0, notReady: 0 };
  for (const l of launched) {
    const s = await client.sideExecution.getStatus(l.id);
    if (!s.success) {
      v.missing++;
      v.linesLost += 2 * LINES;
      v.wrongStatus++;
      continue;
    }
    l.marker ??= markerIn(s.output);
    // What an execution printed before "ready" must all be there; one struck earlier is counted apart.
    if (!l.marker || !/^ready$/m.test(s.output)) v.notReady++;
    else v.linesLost += missingLines(expectedLines('out', l.tag), s.output) + missingLines(expectedLines('err', l.tag), s.error ?? '');
    if (!statusAgrees(causeOf(l), s)) v.wrongStatus++;
  }
  return v;
}
