// Root servers on one host draw their sandboxes' uids from the same range
// unless each is given its own, and two runtimes of different servers with
// one uid would share the counts the kernel keeps per uid. Each live
// runtime's uid is therefore claimed host-wide: a file per uid, made with
// link(2), which the kernel refuses while the name exists, and which names the
// server holding it. A server that crashed leaves its claims behind; the next
// server that meets one sees its holder gone and takes it over.
import fs from 'node:fs';
import path from 'node:path';
import { SidexError } from '../../errors.js';

/** /run is a tmpfs on systemd hosts and most containers: claims do not outlive a reboot. */
export const HOST_UID_CLAIMS_DIR = '/run/sidex/sandbox-uids';

/** The directory, made if need be, or why root servers cannot share claims there. */
export function openClaimsDir(dir = HOST_UID_CLAIMS_DIR): { dir: string } | { unavailable: string } {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.statSync(dir);
    // Anyone else able to write there could claim every uid, or free another server's.
    if (!stat.isDirectory() || stat.uid !== process.getuid?.() || (stat.mode & 0o022) !== 0) {
      return { unavailable: `${dir} is not a directory only this user may write` };
    }
    return { dir };
  } catch (err) {
    return { unavailable: `${dir} cannot be made (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
}

/** A claim is made and a stale one cleared in microseconds: a working file older than this was left by a server killed meanwhile. */
const ABANDONED_AFTER_MS = 60_000;

export class HostUidClaims {
  private readonly holder = holderOf(process.pid) ?? `${process.pid}`;

  constructor(private readonly dir: string) {
    this.sweepAbandoned();
  }

  /** Whether the uid is now this server's; false while another live server holds it. */
  claim(uid: number): boolean {
    const file = this.fileOf(uid);
    const mine = path.join(this.dir, `.claim.${process.pid}.${uid}`);
    try {
      this.write(mine);
      // A second round only after a stale claim was cleared.
      for (let round = 0; round < 2; round++) {
        try {
          fs.linkSync(mine, file);
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
      fs.rmSync(mine, { force: true });
    }
  }

  /** Gives the uid back, unless another server has taken the claim over meanwhile (it believed this one gone). */
  release(uid: number): void {
    const file = this.fileOf(uid);
    try {
      if (fs.readFileSync(file, 'latin1') === this.holder) fs.rmSync(file, { force: true });
    } catch {
      // gone already
    }
  }

  /** The directory is made again if something cleared /run meanwhile (every claim would fail until a restart otherwise). */
  private write(file: string): void {
    try {
      fs.writeFileSync(file, this.holder, { mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, this.holder, { mode: 0o600 });
    }
  }

  private sweepAbandoned(): void {
    try {
      for (const name of fs.readdirSync(this.dir)) {
        if (!name.startsWith('.')) continue;
        const file = path.join(this.dir, name);
        if (Date.now() - fs.statSync(file).mtimeMs > ABANDONED_AFTER_MS) fs.rmSync(file, { force: true });
      }
    } catch {
      // gone meanwhile, or no directory yet
    }
  }

  private fileOf(uid: number): string {
    return path.join(this.dir, String(uid));
  }

  /**
   * Clears the uid's claim if its server is gone: true if the name may be
   * tried again. The claim is first moved aside (rename is atomic: of two
   * servers clearing at once, one moves it) and checked once more, since it
   * could be a fresh claim made after the stale one was read; such a claim
   * is put back.
   */
  private clearIfStale(uid: number): boolean {
    const file = this.fileOf(uid);
    const seen = readOrUndefined(file);
    if (seen === undefined) return true;
    if (holderAlive(seen)) return false;
    const aside = path.join(this.dir, `.stale.${process.pid}.${uid}`);
    try {
      fs.renameSync(file, aside);
    } catch {
      return true; // cleared by another server meanwhile
    }
    const moved = readOrUndefined(aside);
    if (moved !== seen && moved !== undefined) {
      try {
        fs.linkSync(aside, file);
      } catch {
        // taken again meanwhile, by a third server: the one moved aside stays unrecorded
      }
      fs.rmSync(aside, { force: true });
      return false;
    }
    fs.rmSync(aside, { force: true });
    return true;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * A process told apart from a later one of the same pid by its start time,
 * and from one of another PID namespace (where its pid means nothing here)
 * by that namespace.
 */
function holderOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return `${pid} ${startTime} ${fs.readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return undefined;
  }
}

/** A holder of another PID namespace, or one not understood, is taken to be alive: its claim is never cleared. */
function holderAlive(holder: string): boolean {
  const [pid, , namespace] = holder.split(' ');
  if (!pid || !/^\d+$/.test(pid) || namespace === undefined) return true;
  try {
    if (namespace !== fs.readlinkSync('/proc/self/ns/pid')) return true;
  } catch {
    return true;
  }
  return holderOf(Number(pid)) === holder;
}
