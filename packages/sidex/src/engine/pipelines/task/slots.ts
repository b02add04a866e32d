// `threads`: how many items a task processes at once. An open takes a slot
// (waiting in line when none is free) and its item gives it back when done.

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class Slots {
  private free: number;
  private readonly waiting: Waiter[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.resolve();
    else this.free = Math.min(this.size, this.free + 1);
  }

  /** Turns away everyone in line with `error`; answers how many there were. */
  refuseWaiting(error: () => Error): number {
    const refused = this.waiting.splice(0);
    for (const waiter of refused) waiter.reject(error());
    return refused.length;
  }
}
