// A machine out of memory has its kernel kill the process with the highest
// score. A runtime and everything it starts go first (1000, the most a process
// may raise itself to), so that memory an execution takes, with no memory
// limit of its own (there is none by default), is never paid for with the
// server's life. Code may lower its score again, down to the server's (0) and
// no further without privilege; at equal scores the largest process goes.
import fs from 'node:fs';

export function dieFirstOutOfMemory(): void {
  try {
    fs.writeFileSync('/proc/self/oom_score_adj', '1000');
  } catch {
    // no /proc (not Linux): nothing to raise
  }
}
