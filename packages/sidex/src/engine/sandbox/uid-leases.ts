import { randomInt } from 'node:crypto';
import { SidexError } from '../../errors.js';
import { rangeText, type SandboxIds } from './sandbox-user.js';

export interface UidLease {
  uid: number;
  gid: number;
  /** Once no process of the runtime is left: the uid may be given again. */
  release(): void;
}

/**
 * Hands out a root server's sandbox uids, one per live runtime, each drawn at
 * random from the free ones. A uid's counts in the kernel can outlive its
 * runtime: a user namespace is freed a moment after its last process, and
 * code can pass descriptors (inotify instances, pipes) to another execution
 * that keeps them. At random, and from a range far larger than the runtimes
 * alive at once, a uid is rarely given again soon, nor can code aim what it
 * keeps at the uid a later execution will get (docs/security.md).
 */
export class UidLeases {
  private readonly taken = new Set<number>();

  constructor(private readonly ids: SandboxIds) {}

  /** Every runtime gets the same uid (sandboxUid). */
  get shared(): boolean {
    return this.ids.kind === 'shared';
  }

  lease(): UidLease {
    const { ids } = this;
    if (ids.kind === 'shared') return { uid: ids.uid, gid: ids.gid, release: () => {} };
    const { first, count } = ids.uids;
    if (this.taken.size >= count) {
      throw new SidexError(
        'SANDBOX_UIDS_EXHAUSTED',
        `every sandbox uid of ${rangeText(ids.uids)} belongs to a live runtime (${count}); widen sandboxUids past the runtimes alive at once (maxConcurrent plus poolSize)`,
      );
    }
    // From a random start, the next free one: found at once while the range is mostly free.
    let index = randomInt(count);
    while (this.taken.has(first + index)) index = (index + 1) % count;
    const uid = first + index;
    this.taken.add(uid);
    return { uid, gid: ids.gid, release: () => void this.taken.delete(uid) };
  }
}
