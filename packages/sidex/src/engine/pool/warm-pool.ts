import type { RuntimeProcess } from './runtime-process.js';

/**
 * A spawn blocks the event loop: libuv forks the server, copying its page
 * tables (measured here: 2 ms at 50 MB of RSS, 13 ms at 250 MB, 45 ms at
 * 1 GB), then Node boots on a core. A refill therefore waits until the start
 * that took a runtime has had time to get going (done at once, start to
 * first output was 19 ms instead of 5 ms on 2 cores), spawns one runtime at a
 * time, and steps aside while an execution is ending (a stop answered 20 ms
 * late when a refill landed in it), unless the pool is empty.
 */
const REFILL_DELAY_MS = 30;
/** Between the spawns of one refill. */
const SPAWN_SPACING_MS = 5;
/** The longest wait before replacing an idle runtime that died, when they keep dying. */
const MAX_RESPAWN_DELAY_MS = 10_000;
/** How often a refill steps aside for ending executions before it goes ahead regardless. */
const MAX_DEFERRALS = 5;

/**
 * Keeps `size` runtimes booted and idle, so a start costs an IPC message rather
 * than a Node boot. A runtime serves exactly one execution and is never reused:
 * nothing of one execution can leak into the next.
 */
export class WarmPool {
  private readonly idle: RuntimeProcess[] = [];
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private deferrals = 0;
  /** Idle runtimes that died since one last booted. */
  private idleDeaths = 0;

  /** `busy`: whether the engine is in the middle of something a spawn would delay (an execution ending). */
  constructor(
    private readonly spawnRuntime: () => RuntimeProcess,
    private readonly size: number,
    private readonly busy: () => boolean = () => false,
  ) {}

  start(): void {
    this.refill();
  }

  /** A booted runtime: from the pool when one is there, else a cold spawn. */
  async acquire(): Promise<RuntimeProcess> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const runtime = this.idle.shift() ?? this.spawnRuntime();
      this.schedule(REFILL_DELAY_MS);
      try {
        await runtime.ready;
        return runtime;
      } catch (err) {
        lastError = err;
        void runtime.discard();
      }
    }
    throw lastError;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Resolves once the pool holds `size` booted runtimes (or some failed to boot). */
  async whenFull(): Promise<void> {
    this.refill();
    await Promise.allSettled(this.idle.map((runtime) => runtime.ready));
  }

  /** Runtimes waiting in the pool (booted, or booting): taking one spawns nothing. */
  get available(): number {
    return this.idle.length;
  }

  /** Fills the pool at once (at start, or when asked to be full). */
  private refill(): void {
    while (this.idle.length < this.size && this.spawnOne());
  }

  private schedule(delayMs: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refillStep();
    }, delayMs).unref();
  }

  private refillStep(): void {
    if (this.closed || this.idle.length >= this.size) return;
    if (this.idle.length > 0 && this.busy() && this.deferrals < MAX_DEFERRALS) {
      this.deferrals++;
      return this.schedule(REFILL_DELAY_MS);
    }
    this.deferrals = 0;
    if (this.spawnOne() && this.idle.length < this.size) this.schedule(SPAWN_SPACING_MS);
  }

  private spawnOne(): boolean {
    if (this.closed) return false;
    let runtime: RuntimeProcess;
    try {
      runtime = this.spawnRuntime();
    } catch {
      return false; // e.g. out of pids: acquire() reports it when someone needs a runtime
    }
    this.idle.push(runtime);
    void runtime.ready.then(() => (this.idleDeaths = 0), () => {});
    void runtime.exited.then(async () => {
      const index = this.idle.indexOf(runtime);
      if (index < 0) return; // taken: its execution ends it
      // Died idle (killed by the OOM killer, say): what it held goes too, its sandbox uid with it,
      // and the pool fills again, later each time one dies before another has booted (no respawn loop).
      this.idle.splice(index, 1);
      await runtime.letGo();
      this.schedule(Math.min(MAX_RESPAWN_DELAY_MS, REFILL_DELAY_MS * 2 ** this.idleDeaths++));
    });
    return true;
  }

  /** Resolves once its idle runtimes are gone and have let go of what they held (a root server's claims on their uids among it). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.all(this.idle.splice(0).map((runtime) => runtime.discard()));
  }
}
