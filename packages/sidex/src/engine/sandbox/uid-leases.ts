import { SidexError } from '../../errors.js';
import type { SandboxIds } from './sandbox-user.js';

export interface UidLease {
  uid: number;
  gid: number;
  /** Once no process of the runtime is left: the uid may be given again. */
  release(): void;
}

/**
 * Hands out a root server's sandbox uids, one per live runtime. The next
 * lease starts after the last one given rather than at the lowest free uid:
 * a uid's counts in the kernel outlive its processes a moment (a user
 * namespace is freed after its last process), and a range is far larger than
 * the runtimes alive at once, so a uid is given again only much later.
 */
export class UidLeases {
  private readonly taken = new Set<number>();
  private next = 0;

  constructor(private readonly ids: SandboxIds) {}

  lease(): UidLease {
    const { ids } = this;
    if (ids.kind === 'shared') return { uid: ids.uid, gid: ids.gid, release: () => {} };
    const { first, count } = ids.uids;
    for (let tried = 0; tried < count; tried++) {
      const uid = first + ((this.next + tried) % count);
      if (this.taken.has(uid)) continue;
      this.taken.add(uid);
      this.next = (uid - first + 1) % count;
      return { uid, gid: ids.gid, release: () => void this.taken.delete(uid) };
    }
    throw new SidexError(
      'SANDBOX_UIDS_EXHAUSTED',
      `every sandbox uid of ${first}-${first + count - 1} belongs to a live runtime (${count}); widen sandboxUids past the runtimes alive at once (maxConcurrent plus poolSize)`,
    );
  }
}
