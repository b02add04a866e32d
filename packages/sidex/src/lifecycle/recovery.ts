// Start-up recovery: what a previous run of the server left unfinished (it was
// killed, or the machine went down) is resolved before new work is accepted.
// Survivors of those executions are killed, and each record becomes `failed`
// with stop reason `supervisor_lost`, keeping its output and last checkpoint.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecutionStore } from '../store/execution-store.js';
import { finalFields, statusEvent } from '../engine/final-status.js';
import { SPARE_OUTPUT_DIR, type LogFiles } from '../engine/output/log-files.js';
import { tailsFromLog } from '../engine/output/log-tails.js';
import type { ExecutionRecord } from '../model/record.js';
import { findMarked, markerMatcher } from '../engine/tree/marker.js';
import { isAlive, signalPid } from '../engine/tree/proc.js';
import { removePath } from '../engine/pool/remove-path.js';
import type { TreeTracker } from '../engine/tree/tracked-tree.js';

export interface RecoveryOptions {
  store: ExecutionStore;
  tracker: TreeTracker;
  logFiles(id: string): LogFiles;
  /** Scratch directories earlier runs left behind, removed once their processes are dead. */
  staleScratch: string[];
  /** Bytes of each stream kept in the record, as the engine keeps them. */
  tailBytes: number;
  /** How long to wait for killed processes to be gone. */
  killWaitMs?: number;
}

export interface RecoveryReport {
  /** Ids of the records marked `supervisor_lost`. */
  recovered: string[];
  /** Pids of surviving processes that were killed. */
  killed: number[];
  /** Leftover scratch directories that could not be removed (logged; they no longer block a start). */
  notRemoved?: string[];
}

export async function recoverLostExecutions(options: RecoveryOptions): Promise<RecoveryReport> {
  const lost = await options.store.unfinished();
  const deadline = Date.now() + (options.killWaitMs ?? 3000);
  // Every process of an earlier run of this data directory (its cgroups, its
  // marker prefix), whether or not its record was finished...
  let sweep = options.tracker.sweepOtherRuns();
  const killed = new Set(sweep.killed);
  // ...and whatever still carries a lost execution's exact marker: a data
  // directory that was moved gets a new data key, which the sweep would miss.
  for (const pid of killByMarkers(lost.map((r) => r.marker).filter((m): m is string => !!m))) killed.add(pid);
  // A fork can race a kill, and a killed process leaves its cgroups only once
  // every thread of it has exited (its leader shows as a zombie sooner): the
  // sweep goes on until one kills nothing and leaves no cgroup, within the wait.
  let settled = sweep.gone && killed.size === 0;
  while (!settled && Date.now() < deadline) {
    await waitGone([...killed], deadline - Date.now());
    sweep = options.tracker.sweepOtherRuns();
    for (const pid of sweep.killed) killed.add(pid);
    settled = sweep.gone && sweep.killed.length === 0;
    if (!settled) await sleep(20);
  }

  for (const record of lost) {
    const resolved = await resolveLost(record, options.logFiles(record.id), options.tailBytes);
    await options.store.update(resolved, statusEvent(resolved));
  }
  // What an earlier run's code left in its scratch directory must not keep this one from starting.
  const stuck: string[] = [];
  for (const dir of options.staleScratch) if (!(await removePath(dir))) stuck.push(dir);
  return { recovered: lost.map((r) => r.id), killed: [...killed], ...(stuck.length > 0 ? { notRemoved: stuck } : {}) };
}

/**
 * Scratch directories and unclaimed output files under the data directory,
 * listed before this run's engine creates any: all of them were left by
 * earlier runs (the store's lock keeps other servers off this data directory).
 */
export function leftoverScratch(dataDir: string): string[] {
  const roots = [path.join(path.resolve(dataDir), 'scratch'), path.join(path.resolve(dataDir), 'logs', SPARE_OUTPUT_DIR)];
  return roots.flatMap((root) => (fs.existsSync(root) ? fs.readdirSync(root).map((name) => path.join(root, name)) : []));
}

async function resolveLost(record: ExecutionRecord, files: LogFiles, tailBytes: number): Promise<ExecutionRecord> {
  // The output files hold everything written up to the crash, read or not.
  return lostRecord(record, await tailsFromLog(files, tailBytes));
}

/** The record of an execution whose supervisor was lost: `failed`, `supervisor_lost`, with the output kept up to the loss. */
export function lostRecord(record: ExecutionRecord, output: Pick<ExecutionRecord, 'stdout' | 'stderr'> | undefined): ExecutionRecord {
  const endedAt = Date.now();
  const resolved: ExecutionRecord = {
    ...record,
    ...(output ?? {}),
    ...finalFields({
      stopReason: 'supervisor_lost',
      outcome: undefined,
      exit: undefined,
      stderrTail: (output ?? record).stderr.text,
      lastCheckpoint: record.checkpoint,
      timeoutMs: record.timeoutMs,
      memoryLimitBytes: record.memoryLimitBytes,
      outputLimitBytes: record.outputLimitBytes,
    }),
    stopReason: 'supervisor_lost',
    endedAt,
    stoppedAt: record.stoppedAt ?? endedAt,
    memory: { ...record.memory, current: 0 },
  };
  return resolved;
}

function killByMarkers(markers: string[]): number[] {
  if (markers.length === 0) return [];
  const matchers = markers.map((m) => markerMatcher(m, 'exact'));
  const pids = findMarked((environ) => matchers.some((matches) => matches(environ)));
  for (const pid of pids) signalPid(pid, 'SIGKILL');
  return pids;
}

async function waitGone(pids: number[], timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (pids.some(isAlive) && Date.now() < end) await sleep(20);
}
