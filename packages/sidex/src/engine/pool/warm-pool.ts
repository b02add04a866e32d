import type { RuntimeProcess } from './runtime-process.js';

/**
 * A refill spawns a process (the spawn blocks the event loop for milliseconds)
 * and boots Node on a core: done at once, it delays the start that took the
 * runtime (measured: start to first output p50 19 ms instead of 5 ms on 2
 * cores). It waits until that start has had time to get going.
 */
const REFILL_DELAY_MS = 30;

/**
 * Keeps `size` runtimes booted and idle, so a start costs an IPC message rather
 * than a Node boot. A runtime serves exactly one execution and is never reused:
 * nothing of one execution can leak into the next.
 */
export class WarmPool {
  private readonly idle: RuntimeProcess[] = [];
  private closed = false;

  constructor(
    private readonly spawnRuntime: () => RuntimeProcess,
    private readonly size: number,
  ) {}

  start(): void {
    this.refill();
  }

  /** A booted runtime: from the pool when one is there, else a cold spawn. */
  async acquire(): Promise<RuntimeProcess> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const runtime = this.idle.shift() ?? this.spawnRuntime();
      setTimeout(() => this.refill(), REFILL_DELAY_MS).unref();
      try {
        await runtime.ready;
        return runtime;
      } catch (err) {
        lastError = err;
        runtime.discard();
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

  private refill(): void {
    while (!this.closed && this.idle.length < this.size) {
      let runtime: RuntimeProcess;
      try {
        runtime = this.spawnRuntime();
      } catch {
        return; // e.g. out of pids: acquire() reports it when someone needs a runtime
      }
      this.idle.push(runtime);
      void runtime.exited.then(() => {
        const index = this.idle.indexOf(runtime);
        if (index >= 0) this.idle.splice(index, 1);
      });
    }
  }

  close(): void {
    this.closed = true;
    for (const runtime of this.idle.splice(0)) runtime.discard();
  }
}
