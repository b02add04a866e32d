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
import { openClaimsDir } from './host-uid-claims.js';
import { accountsWithin } from './passwd-entry.js';

export interface SandboxUser {
  /** Set when the server is root: the host ids the runtime is switched to before bwrap. */
  switchTo?: SandboxIds;
  /** Why every sandbox shares one uid although no sandboxUid asked for it. */
  sharedBecause?: string;
  /** Why a root server has no uid to run sandboxes as. */
  unavailable?: string;
  /** Host accounts whose uids the range holds (a misconfiguration the start-up log names). */
  accountsInRange?: string[];
  /** Why the range's uids are not claimed host-wide (host-uid-claims.ts): other root servers may give the same ones. */
  uncoordinatedBecause?: string;
}

/** A range of host uids, one per live runtime, with one group they share. */
export interface UidRange {
  first: number;
  count: number;
}

/** As `sandboxUids` is written: `first-last`. */
export const rangeText = ({ first, count }: UidRange): string => `${first}-${first + count - 1}`;

export type SandboxIds =
  /** `sandboxUid`: every sandbox runs as this one uid (and the group of the same number). */
  | { kind: 'shared'; uid: number; gid: number }
  /** `claimsDir`: where uids are claimed host-wide, shared with the host's other root servers. */
  | { kind: 'range'; uids: UidRange; gid: number; claimsDir?: string };

/** What the server is configured with; neither: DEFAULT_SANDBOX_UIDS. */
export interface SandboxIdConfig {
  uid?: number;
  uids?: UidRange;
}

/**
 * 65536-99999: above every 16-bit uid, below useradd's subordinate ids
 * (100000 up, rootless containers'), systemd's container ranges (524288 up)
 * and SSSD's id mapping (200000 up); no distribution gives them to accounts.
 * Below 2097151 too, the largest uid old archive formats can hold (ustar,
 * cpio, ar): a higher one fails `tar --format=ustar` and Maven's assemblies.
 */
export const DEFAULT_SANDBOX_UIDS: UidRange = { first: 65536, count: 34464 };

/** nogroup on Debian: the group of every sandbox of a range, so that a directory in sandboxReadWrite can be group-writable for all. */
export const SANDBOX_GID = 65534;

const NOBODY = 65534;

/** The user namespace's maps (`inside outside count` lines); outside any, every id. */
export interface IdMaps {
  uid: string;
  gid: string;
}

/**
 * A root server in a user namespace that maps only some ids (a rootless
 * container's: often 0-65535) cannot switch to the others. Ids it was given
 * that are not all there are refused (INVALID_CONFIG, the setting named);
 * the default range falls back to one uid for all, 65534, and says so; with
 * not even 65534 there, sandboxes are unavailable, and the reason says why.
 */
export function sandboxUser(config: SandboxIdConfig = {}, maps: IdMaps = readIdMaps(), claimsDir?: string): SandboxUser {
  if (process.getuid?.() !== 0) return {};
  const missing = (ids: UidRange, gid: number) =>
    mapsAll(maps.uid, ids) && mapsAll(maps.gid, { first: gid, count: 1 })
      ? undefined
      : `${ids.count === 1 ? `uid ${ids.first}` : `uids ${rangeText(ids)}`} and gid ${gid} do not all exist in this user namespace (its uid_map: ${oneLine(maps.uid)}; gid_map: ${oneLine(maps.gid)})`;
  if (config.uid !== undefined) {
    const why = missing({ first: config.uid, count: 1 }, config.uid);
    if (why) throw new SidexError('INVALID_CONFIG', `sandboxUid: ${why}; give one inside it`, { field: 'sandboxUid' });
    return { switchTo: { kind: 'shared', uid: config.uid, gid: config.uid } };
  }
  const uids = config.uids ?? DEFAULT_SANDBOX_UIDS;
  const why = missing(uids, SANDBOX_GID);
  if (!why) {
    const accounts = accountsWithin(uids.first, uids.count);
    const claims = openClaimsDir(claimsDir);
    return {
      switchTo: { kind: 'range', uids, gid: SANDBOX_GID, ...('dir' in claims ? { claimsDir: claims.dir } : {}) },
      ...(accounts.length > 0 ? { accountsInRange: accounts } : {}),
      ...('unavailable' in claims ? { uncoordinatedBecause: claims.unavailable } : {}),
    };
  }
  if (config.uids) throw new SidexError('INVALID_CONFIG', `sandboxUids: ${why}; give a range inside it`, { field: 'sandboxUids' });
  if (missing({ first: NOBODY, count: 1 }, NOBODY)) return { unavailable: `${why}, nor does 65534 to fall back on; set sandboxUids or sandboxUid inside them` };
  return { switchTo: { kind: 'shared', uid: NOBODY, gid: NOBODY }, sharedBecause: why };
}

const oneLine = (map: string) => map.trim().replace(/\s+/g, ' ');

/** Whether every id of `range` is inside one of the map's lines (`inside outside count`). */
export function mapsAll(map: string, range: UidRange): boolean {
  const lines = map
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

function readIdMaps(): IdMaps {
  const read = (file: string) => {
    try {
      return fs.readFileSync(`/proc/self/${file}`, 'latin1');
    } catch {
      return `0 0 ${2 ** 32 - 1}`;
    }
  };
  return { uid: read('uid_map'), gid: read('gid_map') };
}

/** A uid the ids allow (the range's first): what the start-up probe runs as. */
export function anyUid(ids: SandboxIds): number {
  return ids.kind === 'shared' ? ids.uid : ids.uids.first;
}
