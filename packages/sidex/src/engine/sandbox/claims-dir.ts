// Where a host's root servers keep their sandbox uid claims
// (host-uid-claims.ts), and whether it is safe to: anyone else able to change
// the directory could claim every uid, or free another server's.
import fs from 'node:fs';
import path from 'node:path';

/** On a tmpfs on systemd hosts: claims do not outlive a reboot there (elsewhere a dead holder's claims are taken over). */
export const HOST_UID_CLAIMS_DIR = '/run/sidex/sandbox-uids';

/** The directory, made if need be, where it really is; or why it cannot be trusted. */
export function safeClaimsDir(dir = HOST_UID_CLAIMS_DIR): { dir: string } | { unavailable: string } {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Checked where it really is: a symbolic link on the way could lead anywhere.
    const real = fs.realpathSync(dir);
    const unsafe = unsafeAncestor(real);
    return unsafe ? { unavailable: `${unsafe} may be changed by another user than root or this one` } : { dir: real };
  } catch (err) {
    return { unavailable: `${dir} cannot be made (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
}

/** The directory or the first directory above it that another user may change, if any. */
function unsafeAncestor(dir: string): string | undefined {
  const own = process.getuid?.();
  for (let at = dir; ; at = path.dirname(at)) {
    const stat = fs.statSync(at);
    // A sticky directory above (/tmp-like) lets no one else rename or remove what is ours in it.
    const sticky = (stat.mode & 0o1000) !== 0 && at !== dir;
    if (!stat.isDirectory() || (stat.uid !== 0 && stat.uid !== own) || ((stat.mode & 0o022) !== 0 && !sticky)) return at;
    if (at === path.dirname(at)) return undefined;
  }
}
