// What the processes of a live tree are, for people watching it (the
// dashboard's process table): pid, parent, command line, memory, CPU.
import fs from 'node:fs';
import type { ProcessInfo } from '@sidex/protocol';
import { readRssBytes, readStat } from './proc.js';

/** Longest command line shown; the rest is cut. */
const MAX_COMMAND = 300;

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ').slice(0, MAX_COMMAND);
  } catch {
    return '';
  }
}

/** The processes still there, parents before their children where the tree says so. */
export function describeProcesses(pids: number[]): ProcessInfo[] {
  const list: ProcessInfo[] = [];
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z') continue;
    list.push({ pid, ppid: stat.ppid, command: commandOf(pid), memoryBytes: readRssBytes(pid), cpuMs: Math.round(stat.cpuMicros / 1000) });
  }
  const known = new Set(list.map((p) => p.pid));
  const depth = (p: ProcessInfo): number => (known.has(p.ppid) ? 1 + depth(list.find((q) => q.pid === p.ppid)!) : 0);
  return list.map((p) => ({ p, d: depth(p) })).sort((a, b) => a.d - b.d || a.p.pid - b.p.pid).map(({ p }) => p);
}
