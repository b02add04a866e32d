// One guardian process per engine. It blocks on a pipe whose other end only
// the engine holds. If the engine dies in any way (SIGKILL included), the pipe
// reaches EOF and the guardian kills every process of this run: busy loops
// that never see their IPC channel close, and setsid'd descendants too.
// The engine watches its guardian in turn: one that dies is replaced.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GuardianExit, GuardianRestart, RunGuardian, StartGuardian } from '../engine/run-guardian.js';
import type { TrackerOptions } from '../engine/tree/tree-tracker.js';

const guardianMain = fileURLToPath(new URL('./guardian-main.js', import.meta.url));

// A replacement that dies within QUICK_DEATH_MS is restarted after a wait
// that doubles up to MAX_BACKOFF_MS: a guardian that cannot live (node gone,
// something killing it on sight) must not make the engine spawn in a tight
// loop. It never gives up, though: without a guardian, an engine that dies
// leaves busy loops and setsid'd processes behind.
const QUICK_DEATH_MS = 5000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export class Guardian implements RunGuardian {
  private child: ChildProcess | undefined;
  private released = false;
  /** When the current guardian was started as a replacement; undefined for the first. */
  private replacedAt: number | undefined;
  private backoffMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: TrackerOptions,
    private readonly onRestart: (restart: GuardianRestart) => void = () => {},
  ) {
    this.child = this.spawn();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  release(): void {
    this.released = true;
    clearTimeout(this.restartTimer);
    this.child?.stdin?.end();
    this.child = undefined;
  }

  private spawn(): ChildProcess {
    const child = spawn(process.execPath, [guardianMain, JSON.stringify(this.options)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'inherit'],
      env: { PATH: process.env.PATH ?? '' },
    });
    let gone = false;
    const died = (exit: GuardianExit) => {
      if (gone) return;
      gone = true;
      this.died(child, exit);
    };
    child.on('exit', (code, signal) => died({ code, signal }));
    // A failed spawn may report only 'error', never 'exit'.
    child.on('error', (err) => {
      if (child.pid === undefined) died({ code: null, signal: null, error: err.message });
    });
    // Ending the pipe of a guardian that is already dead is EPIPE, not a crash of the engine.
    child.stdin?.on('error', () => {});
    // Neither the guardian nor its lifeline may keep the engine's event loop alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  }

  private died(child: ChildProcess, exit: GuardianExit): void {
    if (this.released || this.child !== child) return;
    this.child = undefined;
    const quick = this.replacedAt !== undefined && Date.now() - this.replacedAt < QUICK_DEATH_MS;
    this.backoffMs = quick ? Math.min(Math.max(this.backoffMs * 2, FIRST_BACKOFF_MS), MAX_BACKOFF_MS) : 0;
    const delayMs = this.backoffMs;
    const restart = () => {
      this.restartTimer = undefined;
      if (this.released) return;
      const next = (this.child = this.spawn());
      this.replacedAt = Date.now();
      if (next.pid !== undefined) this.onRestart({ pid: next.pid, previousPid: child.pid, exit, delayMs });
    };
    if (delayMs === 0) return restart();
    this.restartTimer = setTimeout(restart, delayMs);
    this.restartTimer.unref();
  }
}

/** What the engine is given to start its run's guardian. */
export const startGuardian: StartGuardian = (run, onRestart) => new Guardian(run, onRestart);
