// Which of this process's descriptors a child would inherit beyond those it
// is given. Node and libuv open everything close-on-exec, so a descriptor
// without the flag came from whatever started the server; the runtime closes
// them (runtime/stray-fds.ts), since a child spawned through Node cannot be
// spared them.
import fs from 'node:fs';
import { STRAY_FDS_VAR } from '../../runtime/stray-fds.js';

const O_CLOEXEC = 0o2000000;

let stray: number[] | undefined;

/**
 * The environment naming the stray descriptors above `given` (the child's own
 * are 0..given). Read once: those without the flag were there at the start.
 */
export function strayFdsEnv(given: number): Record<string, string> {
  stray ??= inheritedFds();
  const above = stray.filter((fd) => fd > given);
  return above.length > 0 ? { [STRAY_FDS_VAR]: above.join(',') } : {};
}

function inheritedFds(): number[] {
  const found: number[] = [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc/self/fdinfo');
  } catch {
    return found; // no /proc: nothing known to close
  }
  for (const name of names) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${name}`, 'utf8'))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) found.push(fd);
    } catch {
      // closed meanwhile (the directory's own descriptor)
    }
  }
  return found;
}
