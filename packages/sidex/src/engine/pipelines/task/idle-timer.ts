// The idle TTL: a task ends by itself after `ttl` seconds without activity.
// It never expires while busy (an item in progress is activity for as long as
// it lasts); a TTL of 0 never expires.

export class IdleTimer {
  private last = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly ttlMs: number,
    private readonly busy: () => boolean,
    private readonly expire: () => void,
  ) {}

  start(): void {
    this.running = this.ttlMs > 0;
    this.touch();
  }

  /** Something happened: the idle time starts again. */
  touch(): void {
    this.last = Date.now();
    if (this.running && !this.timer) this.arm(this.ttlMs);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.running) return;
      if (this.busy()) return this.arm(this.ttlMs);
      const idleFor = Date.now() - this.last;
      if (idleFor < this.ttlMs) return this.arm(this.ttlMs - idleFor);
      this.running = false;
      this.expire();
    }, ms);
    this.timer.unref();
  }
}
