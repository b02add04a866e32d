// Descriptors the server inherited from whatever started it (a shell's or a
// supervisor's pipe), which every child inherits in turn: the engine names
// them (engine/pool/stray-fds.ts), and the runtime closes them before
// anything else, so that neither the code nor a program it runs can write
// to them or keep them open.
import fs from 'node:fs';

export const STRAY_FDS_VAR = 'SIDEX_STRAY_FDS';

export function closeStrayFds(): void {
  const list = process.env[STRAY_FDS_VAR];
  if (!list) return;
  delete process.env[STRAY_FDS_VAR];
  for (const fd of list.split(',')) {
    try {
      fs.closeSync(Number(fd));
    } catch {
      // not open here: nothing to close
    }
  }
}
