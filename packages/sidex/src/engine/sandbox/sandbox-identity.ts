import fs from 'node:fs';
import type { Companion } from '../pool/runtime-process.js';
import { removePath } from '../pool/remove-path.js';
import { passwdWith, SANDBOX_USER_NAME } from './passwd-entry.js';
import type { UidLeases } from './uid-leases.js';

/** Who a root server's runtime is inside its sandbox. */
export interface SandboxIdentity {
  uid: number;
  gid: number;
  /** The sandbox's /etc/passwd, when the host's does not name the uid. */
  passwdFile?: string;
  /** What the runtime's environment says of it. */
  env: Record<string, string>;
  /** Lives as long as the runtime: gives the uid back and removes the passwd file. */
  companion: Companion;
}

/**
 * A uid of its own for as long as the runtime lives, and the /etc/passwd
 * naming it (written at `passwdPath`) when the host's does not.
 */
export function leaseIdentity(uids: UidLeases, passwdPath: string, home: string): SandboxIdentity {
  const lease = uids.lease();
  const passwd = passwdWith(lease.uid, lease.gid, home);
  if (passwd !== undefined) {
    try {
      fs.writeFileSync(passwdPath, passwd, { mode: 0o644 });
    } catch (err) {
      lease.release();
      throw err;
    }
  }
  const passwdFile = passwd === undefined ? undefined : passwdPath;
  return {
    uid: lease.uid,
    gid: lease.gid,
    ...(passwdFile ? { passwdFile } : {}),
    env: {
      // Uids of a range share one group: what one execution leaves in a shared directory, the next may change.
      ...(uids.shared ? {} : { SIDEX_UMASK: '0002' }),
      ...(passwdFile ? { USER: SANDBOX_USER_NAME, LOGNAME: SANDBOX_USER_NAME } : {}),
    },
    companion: {
      ready: Promise.resolve(),
      // Before the end is answered: a start that follows, or a queued one the end lets in, finds the uid free.
      giveBack: () => lease.free(),
      close: async () => {
        lease.release();
        if (passwdFile) await removePath(passwdFile);
      },
    },
  };
}
