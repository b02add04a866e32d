import { randomInt } from 'node:crypto';
import { SidexError } from '../../errors.js';
import { HostUidClaims, TAKEOVER_TRIES } from './host-uid-claims.js';
import { rangeText, type SandboxIds } from './sandbox-user.js';

export interface UidLease {
  uid: number;
  gid: number;
  /**
   * Once no process of the runtime is left: this server may lease the uid
   * again at once; its host-wide claim goes with release(), later.
   */
  free(): void;
  /** The uid may be given again, by any server. Only the first call counts: by a second, it may be another runtime's. */
  release(): void;
}

/**
 * Hands out a root server's sandbox uids, one per live runtime, each drawn at
 * random from the free ones. A uid's counts in the kernel can outlive its
 * runtime: a user namespace is freed a moment after its last process, and
 * code can pass descriptors (inotify instances, pipes) to another execution
 * that keeps them. At random, and from a range far larger than the runtimes
 * alive at once, a uid is rarely given again soon, nor can code aim what it
 * keeps at the uid a later execution will get (docs/security.md). Other root
 * servers on the host may draw from the same range: each uid is claimed
 * host-wide too (host-uid-claims.ts), and one another server holds is passed over.
 */
export class UidLeases {
  private readonly taken = new Set<number>();
  private readonly host: HostUidClaims | undefined;

  constructor(private readonly ids: SandboxIds) {
    this.host = ids.kind === 'range' && ids.claimsDir ? HostUidClaims.in(ids.claimsDir) : undefined;
  }

  /** Every runtime gets the same uid (sandboxUid). */
  get shared(): boolean {
    return this.ids.kind === 'shared';
  }

  lease(): UidLease {
    const { ids } = this;
    if (ids.kind === 'shared') return { uid: ids.uid, gid: ids.gid, free: () => {}, release: () => {} };
    const { first, count } = ids.uids;
    const exhausted = (elsewhere: string) =>
      new SidexError(
        'SANDBOX_UIDS_EXHAUSTED',
        `every sandbox uid of ${rangeText(ids.uids)} belongs to a live runtime (${this.taken.size} of this server's${elsewhere}); widen sandboxUids past the runtimes alive at once (maxConcurrent plus poolSize)`,
      );
    if (this.taken.size >= count) throw exhausted('');
    // From a random start, the next free one: found at once while the range is mostly free. Once a uid
    // turns out claimed elsewhere, the claims are listed and only unclaimed uids tried, then a few claimed
    // ones, whose server may be gone: a range mostly held elsewhere costs one listing, not a claim per uid.
    const start = randomInt(count);
    let elsewhere: Set<number> | undefined;
    const passedOver: number[] = [];
    for (let step = 0; step < count; step++) {
      const uid = first + ((start + step) % count);
      if (this.taken.has(uid)) continue;
      if (elsewhere?.has(uid)) passedOver.push(uid);
      else if (this.claim(uid)) return this.leased(uid, ids.gid);
      else elsewhere ??= this.host?.claimedUids();
    }
    for (const uid of passedOver.slice(0, TAKEOVER_TRIES)) if (this.claim(uid)) return this.leased(uid, ids.gid);
    throw exhausted(', the rest other sidex servers\' on this host: give each server a range of its own');
  }

  /** Host-wide, where the host's root servers keep their claims: whether the uid is this server's now. */
  private claim(uid: number): boolean {
    return !this.host || this.host.claim(uid);
  }

  private leased(uid: number, gid: number): UidLease {
    this.taken.add(uid);
    // Each step once: by a second call the uid may be another runtime's.
    let state: 'held' | 'free' | 'released' = 'held';
    const free = () => {
      if (state !== 'held') return;
      state = 'free';
      this.taken.delete(uid);
      this.host?.setAside(uid);
    };
    return {
      uid,
      gid,
      free,
      release: () => {
        if (state === 'released') return;
        free();
        state = 'released';
        this.host?.release(uid);
      },
    };
  }
}
