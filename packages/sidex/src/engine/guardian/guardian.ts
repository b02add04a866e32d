// One guardian process per engine. It blocks on a pipe whose other end only
// the engine holds. If the engine dies in any way (SIGKILL included), the pipe
// reaches EOF and the guardian kills every process of this run: busy loops
// that never see their IPC channel close, and setsid'd descendants too.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TrackerOptions } from '../tree/tree-tracker.js';

const guardianMain = fileURLToPath(new URL('./guardian-main.js', import.meta.url));

export class Guardian {
  private readonly child: ChildProcess;

  constructor(options: TrackerOptions) {
    this.child = spawn(process.execPath, [guardianMain, JSON.stringify(options)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'inherit'],
      env: { PATH: process.env.PATH ?? '' },
    });
    this.child.on('error', () => {});
    // Neither the guardian nor its lifeline may keep the engine's event loop alive.
    this.child.unref();
    (this.child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  /** Normal shutdown: the guardian sweeps once (finding nothing, normally) and exits. */
  release(): void {
    this.child.stdin?.end();
  }
}
