// The seccomp filter bubblewrap loads into every sandbox before the runtime
// starts: the kernel keyring calls (add_key, keyctl, request_key) fail with
// EPERM, everything else is allowed. Keyrings are kept per uid, and every
// sandbox of a root server runs as the same uid without a user namespace, so
// a key one execution stored, the next could find. Flatpak and Docker refuse
// the same three calls. The rest of Flatpak's list is not copied: refusing
// user namespaces would break programs that sandbox themselves (Chromium,
// a nested bwrap), and kernel exploits are outside sidex's threat model.
//
// The programs are libseccomp's output, not written by hand:
//   /usr/bin/python3 packages/sidex/scripts/syscall-filter.py
// (Debian's python3-seccomp); syscall-filter.test.ts checks they match.
import fs from 'node:fs';
import path from 'node:path';

/** Classic BPF, keyed by Node's `process.arch`; each also matches the machine's 32-bit ABIs. */
export const SYSCALL_FILTERS: Readonly<Record<string, string>> = {
  x64: 'IAAAAAQAAAAVAAAHPgAAwCAAAAAAAAAAFQALAPgAAAAVAAoA+QAAABUACQD6AAAAFQAIAPgAAEAVAAcA+QAAQBUABgX6AABAFQAABgMAAEAgAAAAAAAAABUAAwAeAQAAFQACAB8BAAAVAAEAIAEAAAYAAAAAAP9/BgAAAAEABQAGAAAAAAAAAA==',
  arm64: 'IAAAAAQAAAAVAAAEtwAAwCAAAAAAAAAAFQAIANkAAAAVAAcA2gAAABUABgXbAAAAFQAABigAAEAgAAAAAAAAABUAAwA1AQAAFQACADYBAAAVAAEANwEAAAYAAAAAAP9/BgAAAAEABQAGAAAAAAAAAA==',
};

/** The filter for this machine; undefined where none was generated. */
export function syscallFilterFor(arch: string = process.arch): Buffer | undefined {
  const program = SYSCALL_FILTERS[arch];
  return program === undefined ? undefined : Buffer.from(program, 'base64');
}

/** bwrap reads the filter from a descriptor, to its end, once per sandbox: each launch opens the file anew. */
export class SyscallFilterFile {
  readonly path: string;

  constructor(dir: string, program: Buffer) {
    this.path = path.join(dir, 'syscall-filter.bpf');
    fs.writeFileSync(this.path, program, { mode: 0o600 });
  }

  open(): number {
    return fs.openSync(this.path, 'r');
  }
}
