// Sandboxed code never runs with the server's privileges. A root server first
// switches the runtime to an unprivileged host uid (it would otherwise stay
// uid 0 on the host behind its user namespace, and own every root file it can
// see); any other server runs it under its own uid, inside a user namespace
// where it holds no capability over anything outside.
//
// A root server gives each runtime a uid of its own, from a range, for as long
// as the runtime lives (uid-leases.ts): the kernel counts some resources per
// uid (inotify instances and watches, user namespaces, pipe buffer pages,
// pending signals, RLIMIT_NPROC), and with one uid shared by every sandbox an
// execution could use up what all the others may have.
import fs from 'node:fs';
import { SidexError } from '../../errors.js';

export interface SandboxUser {
  /** Set when the server is root: the host ids the runtime is switched to before bwrap. */
  switchTo?: SandboxIds;
  /** Why every sandbox shares one uid although no sandboxUid asked for it. */
  sharedBecause?: string;
}

/** A range of host uids, one per live runtime, with one group they share. */
export interface UidRange {
  first: number;
  count: number;
}

export type SandboxIds =
  /** `sandboxUid`: every sandbox runs as this one uid (and the group of the same number). */
  | { kind: 'shared'; uid: number; gid: number }
  | { kind: 'range'; uids: UidRange; gid: number };

/** What the server is configured with; neither: DEFAULT_SANDBOX_UIDS. */
export interface SandboxIdConfig {
  uid?: number;
  uids?: UidRange;
}

/**
 * 0x70000000 and the 65,535 after it: no distribution gives out these, nor
 * does systemd (its dynamic users end at 65519, its containers' ranges at
 * 0x6FFFFFFF, and it calls the rest up to 0x7FFE0000 unused), nor useradd's
 * subordinate ids (below 600,100,000 by default).
 */
export const DEFAULT_SANDBOX_UIDS: UidRange = { first: 0x7000_0000, count: 0x1_0000 };

/** nogroup on Debian: the group of every sandbox of a range, so that a directory in sandboxReadWrite can be group-writable for all. */
export const SANDBOX_GID = 65534;

/**
 * A root server in a user namespace that maps only some uids (a rootless
 * container's: often 0-65535) cannot switch to the others. A range it was
 * given that is not all there is refused; the default range falls back to
 * one uid for all, 65534, and says so.
 */
export function sandboxUser(config: SandboxIdConfig = {}, uidMap = readUidMap()): SandboxUser {
  if (process.getuid?.() !== 0) return {};
  if (config.uid !== undefined) return { switchTo: { kind: 'shared', uid: config.uid, gid: config.uid } };
  const uids = config.uids ?? DEFAULT_SANDBOX_UIDS;
  if (mapsAll(uidMap, uids)) return { switchTo: { kind: 'range', uids, gid: SANDBOX_GID } };
  const why = `uids ${uids.first}-${uids.first + uids.count - 1} do not all exist in this user namespace (its uid_map: ${uidMap.trim().replace(/\s+/g, ' ')})`;
  if (config.uids) throw new SidexError('INVALID_CONFIG', `sandboxUids: ${why}; give a range inside it`, { field: 'sandboxUids' });
  return { switchTo: { kind: 'shared', uid: NOBODY, gid: NOBODY }, sharedBecause: why };
}

const NOBODY = 65534;

/** Whether every uid of `range` is inside one of the map's lines (`inside outside count`). */
export function mapsAll(uidMap: string, range: UidRange): boolean {
  const lines = uidMap
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((fields) => fields.length === 3 && fields.every(Number.isInteger))
    .map(([inside, , count]) => ({ from: inside!, to: inside! + count! }))
    .sort((a, b) => a.from - b.from);
  let next = range.first;
  const end = range.first + range.count;
  for (const { from, to } of lines) if (from <= next && to > next) next = to;
  return next >= end;
}

/** Outside any user namespace, or where /proc says nothing: every uid. */
function readUidMap(): string {
  try {
    return fs.readFileSync('/proc/self/uid_map', 'latin1');
  } catch {
    return `0 0 ${2 ** 32 - 1}`;
  }
}

/** A uid the ids allow (the range's first): what the start-up probe runs as. */
export function anyUid(ids: SandboxIds): number {
  return ids.kind === 'shared' ? ids.uid : ids.uids.first;
}
