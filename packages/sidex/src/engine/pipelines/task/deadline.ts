// The drain deadline of a terminate: a later terminate may bring it closer
// (a shorter drainMs, or force), never push it back.

export class Deadline {
  private at: number;
  private timer: NodeJS.Timeout | undefined;
  private fire!: () => void;
  /** Resolves when the deadline passes. */
  readonly passed: Promise<void>;

  constructor(ms: number) {
    this.at = Date.now() + ms;
    this.passed = new Promise((resolve) => (this.fire = resolve));
    this.arm();
  }

  shorten(ms: number): void {
    const at = Date.now() + ms;
    if (at >= this.at) return;
    this.at = at;
    this.arm();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), Math.max(0, this.at - Date.now()));
  }
}
