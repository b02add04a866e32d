// Root servers on one host draw their sandboxes' uids from the same range
// unless each is given its own, and two runtimes of different servers with
// one uid would share the counts the kernel keeps per uid. Each live
// runtime's uid is therefore claimed host-wide: a file per uid, made with
// link(2), which the kernel refuses while the name exists, and which names the
// server holding it. A server that crashed leaves its claims behind; the next
// server that meets one sees its holder gone and takes it over.
//
// Whether a holder is alive is asked of the kernel, not of /proc: each server
// holds a FIFO of its own open for reading, and opening a FIFO for writing
// without blocking fails (ENXIO) once no process has it open for reading. That
// holds across PID, time and network namespaces and over a reboot, where a
// pid and a start time would not.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SidexError } from '../../errors.js';
import { removePath } from '../pool/remove-path.js';
import { HOST_UID_CLAIMS_DIR, safeClaimsDir } from './claims-dir.js';

/** A claim is made and a stale one cleared in microseconds: a working file unchanged for longer was left by a server killed meanwhile. */
const ABANDONED_AFTER_MS = 60_000;
/** When most of the range is claimed elsewhere: how many claimed uids a lease tries, for one whose server is gone. */
export const TAKEOVER_TRIES = 32;
const HOLDER_ID = /^[0-9a-f]{32}$/;

/**
 * The directory, made if need be, with this process announced in it
 * (HostUidClaims.in), or why root servers cannot share claims there.
 */
export function openClaimsDir(dir = HOST_UID_CLAIMS_DIR): { dir: string } | { unavailable: string } {
  const made = safeClaimsDir(dir);
  if ('unavailable' in made) return made;
  try {
    HostUidClaims.in(made.dir);
    return made;
  } catch (err) {
    return { unavailable: `this server cannot announce itself in ${made.dir} (${(err as Error).message})` };
  }
}

/**
 * One per process and directory: a process is one server to the others,
 * whatever engines it runs (each engine's leases keep apart in-process).
 */
export class HostUidClaims {
  private static readonly open = new Map<string, HostUidClaims>();

  static in(dir: string): HostUidClaims {
    let claims = HostUidClaims.open.get(dir);
    if (!claims) HostUidClaims.open.set(dir, (claims = new HostUidClaims(dir)));
    return claims;
  }

  /** Names this server in its claims, and its FIFO. */
  private readonly id = randomBytes(16).toString('hex');
  private readonly holders: string;
  /** Our FIFO, open for reading while this process lives (the kernel closes it as the process ends). */
  private presence: number | undefined;
  /**
   * What each claim this server holds says: its id and a nonce of the claim's
   * own, so that no other file (another claim, one made on a reused inode)
   * reads the same.
   */
  private readonly held = new Map<number, string>();
  /** Set aside: given back, their claims not yet removed. */
  private readonly leaving = new Set<number>();

  private constructor(private readonly dir: string) {
    this.holders = path.join(dir, '.holders');
    sweepAbandoned(dir);
    this.announce();
    // Dead servers' claims go now, not only when a lease happens to draw their uid: the directory does not grow with every crash.
    for (const uid of this.claimedUids()) this.clearIfStale(uid);
  }

  /** Made under a working name and opened before it is named: never seen without its reader. */
  private announce(): void {
    fs.mkdirSync(this.holders, { recursive: true, mode: 0o700 });
    const making = path.join(this.dir, `.fifo.${this.id}`);
    execFileSync('mkfifo', ['-m', '600', making]);
    const reader = fs.openSync(making, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    fs.renameSync(making, path.join(this.holders, this.id));
    if (this.presence !== undefined) fs.closeSync(this.presence);
    this.presence = reader;
  }

  /** Whether the uid is now this server's; false while another live server holds it. */
  claim(uid: number): boolean {
    const file = this.fileOf(uid);
    if (this.leaving.delete(uid)) {
      // Set aside (setAside), its claim not yet removed: still this server's, unless something removed it meanwhile.
      if (readClaimQuietly(file) === this.held.get(uid)) return true;
      this.held.delete(uid);
    }
    const mine = path.join(this.dir, `.claim.${randomBytes(8).toString('hex')}`);
    const says = `${this.id} ${randomBytes(8).toString('hex')}`;
    try {
      this.writeNew(mine, says);
      // A second round only after a stale claim was cleared.
      for (let round = 0; round < 2; round++) {
        try {
          fs.linkSync(mine, file);
          this.held.set(uid, says);
          return true;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        if (!this.clearIfStale(uid)) return false;
      }
      return false;
    } catch (err) {
      throw new SidexError('SANDBOX_UID_CLAIM_FAILED', `sandbox uid ${uid} could not be claimed in ${this.dir}: ${(err as Error).message}`);
    } finally {
      void removePath(mine);
    }
  }

  /**
   * No runtime of this server uses the uid any more, but its claim stays
   * until release: a stop gives its runtime's uid back before it is
   * answered, and the claim's read and unlink (~0.1 ms of every stop here)
   * wait until after. Meanwhile the claim only keeps other servers off a
   * uid this one does not use, and a lease of this server's that draws it
   * takes it as it stands (claim).
   */
  setAside(uid: number): void {
    if (this.held.has(uid)) this.leaving.add(uid);
  }

  /**
   * Removes a claim set aside, unless a lease of this server's has taken the
   * uid again meanwhile, and if its name still holds this server's claim.
   */
  release(uid: number): void {
    if (!this.leaving.delete(uid)) return;
    const says = this.held.get(uid);
    this.held.delete(uid);
    const file = this.fileOf(uid);
    if (says !== undefined && readClaimQuietly(file) === says) void removePath(file);
  }

  /**
   * The uids of the range's claims, whoever holds them, but for those this
   * server set aside: a lease here takes them as they stand (none if the
   * directory cannot be listed: each claim then says).
   */
  claimedUids(): Set<number> {
    return new Set(
      listing(this.dir)
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .filter((uid) => !this.leaving.has(uid)),
    );
  }

  /** Created, never opened as it stands (a leftover of the same name would otherwise be written through). */
  private writeNew(file: string, says: string): void {
    const write = () => {
      const fd = fs.openSync(file, 'wx', 0o600);
      try {
        fs.writeFileSync(fd, says);
      } finally {
        fs.closeSync(fd);
      }
    };
    try {
      return write();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Something removed the directory while the server ran: made again, as safe as at start, or refused,
      // with this server's FIFO (its claims there went with it, but its runtimes still hold their uids).
      const opened = safeClaimsDir(this.dir);
      if ('unavailable' in opened) throw new Error(opened.unavailable);
      this.announce();
      return write();
    }
  }

  private fileOf(uid: number): string {
    return path.join(this.dir, String(uid));
  }

  /**
   * Clears the uid's claim if its server is gone (or it is a leftover of this
   * one's): true if the name may be tried again. The claim is moved aside
   * (rename is atomic: of two servers clearing at once, one moves it) and
   * checked to be the very claim read, since a fresh claim could have taken
   * the name meanwhile; such a claim is put back. Claims are told apart by
   * what they say, never by inode: a freed inode is soon given again.
   */
  private clearIfStale(uid: number): boolean {
    const file = this.fileOf(uid);
    const seen = readClaim(file);
    if (seen === undefined) return true;
    const holder = seen.split(' ')[0]!;
    const leftover = holder === this.id && this.held.get(uid) !== seen;
    if (!leftover && this.alive(holder)) return false;
    const aside = path.join(this.dir, `.stale.${randomBytes(8).toString('hex')}`);
    try {
      fs.renameSync(file, aside);
    } catch {
      return true; // cleared by another server meanwhile
    }
    // Undefined if swept by another server's start meanwhile: what it was is unknown, so the name is not tried.
    const moved = readClaim(aside);
    if (moved !== seen) {
      if (moved !== undefined) {
        try {
          fs.linkSync(aside, file);
        } catch {
          // taken again meanwhile: the claim moved aside stays unrecorded (docs/security.md)
        }
      }
      void removePath(aside);
      return false;
    }
    void removePath(aside);
    return true;
  }

  /** A holder not understood (a claim of an older sidex, say) is taken to be gone. */
  private alive(holder: string): boolean {
    return HOLDER_ID.test(holder) && fifoHasReader(path.join(this.holders, holder));
  }
}

/** Opening a FIFO for writing without blocking fails (ENXIO) when no process has it open for reading. One that cannot be asked counts as read. */
function fifoHasReader(fifo: string): boolean {
  try {
    fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENXIO' && code !== 'ENOENT';
  }
}

/**
 * What servers killed meanwhile left in `dir`: their FIFOs (no reader), and
 * working files (rename and link refresh a file's ctime, so one in use is
 * never old).
 */
export function sweepAbandoned(dir: string, now = Date.now()): void {
  const holders = path.join(dir, '.holders');
  for (const name of listing(holders)) if (HOLDER_ID.test(name) && !fifoHasReader(path.join(holders, name))) void removePath(path.join(holders, name));
  for (const name of listing(dir)) {
    if (!/^\.(claim|stale|fifo)\./.test(name)) continue;
    const file = path.join(dir, name);
    try {
      if (now - fs.statSync(file).ctimeMs > ABANDONED_AFTER_MS) void removePath(file);
    } catch {
      // gone meanwhile
    }
  }
}

/** What a claim says; undefined once it is gone, or unreadable now (left as it is: a claim of this server's, seen as gone once the server is). */
function readClaimQuietly(file: string): string | undefined {
  try {
    return readClaim(file);
  } catch {
    return undefined;
  }
}

/** What a claim says; undefined once it is gone. */
function readClaim(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function listing(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
