// vitest globalSetup: every temporary directory of the run (the tests', and
// those of the servers and processes they spawn, which inherit TMPDIR) goes in
// one directory, removed when the run ends. Tests then need no cleanup of
// their own to leave nothing behind, even when one fails midway.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-test-run-'));
  // Sandboxed code runs as an unprivileged uid, which must reach the project directories below it.
  fs.chmodSync(dir, 0o755);
  process.env.TMPDIR = dir;
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
  process.once('exit', remove);
  return remove;
}
