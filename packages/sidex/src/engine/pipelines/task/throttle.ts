// apaevt_status_update: at most once a second, and at once on every state
// change. Changes in between are folded into the next update.

export class StatusThrottle {
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly publish: () => void,
  ) {}

  /** Something changed: published within the interval. */
  changed(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.last + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.now(), wait);
    this.timer.unref();
  }

  /** The state changed: published at once. */
  now(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.last = Date.now();
    this.publish();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
