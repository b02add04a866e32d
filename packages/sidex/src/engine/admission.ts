import { SidexError } from '../errors.js';

/**
 * At most `maxConcurrent` executions hold a slot at once; up to `maxQueued`
 * more wait for one, first come first served.
 */
export class Admission<T> {
  private readonly holders = new Set<T>();
  private readonly waiting: T[] = [];
  private closed = false;

  constructor(
    private readonly maxConcurrent: number,
    private readonly maxQueued: number,
  ) {}

  /** Refuses a start before anything of it is written. */
  checkRoom(): void {
    if (!this.hasFreeSlot && this.waiting.length >= this.maxQueued) {
      throw new SidexError('QUEUE_FULL', `the queue is full (${this.maxQueued} executions waiting)`);
    }
  }

  get hasFreeSlot(): boolean {
    return this.holders.size < this.maxConcurrent;
  }

  /** Takes a free slot (true), or none (false). */
  claim(item: T): boolean {
    if (!this.hasFreeSlot) return false;
    this.holders.add(item);
    return true;
  }

  /** Takes a free slot (true), or waits in the queue for one (false). */
  admit(item: T): boolean {
    if (this.claim(item)) return true;
    this.waiting.push(item);
    return false;
  }

  /** Leaves the queue without having run (stopped while waiting). */
  withdraw(item: T): void {
    const index = this.waiting.indexOf(item);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  /** Gives back the item's slot, if it held one; returns those that now hold one, to be launched. */
  release(item: T): T[] {
    if (!this.holders.delete(item)) return [];
    const next: T[] = [];
    while (!this.closed && this.hasFreeSlot && this.waiting.length > 0) {
      const waiter = this.waiting.shift()!;
      this.holders.add(waiter);
      next.push(waiter);
    }
    return next;
  }

  /** Shutdown: the queue no longer moves. */
  close(): void {
    this.closed = true;
  }

  get running(): number {
    return this.holders.size;
  }

  get queued(): number {
    return this.waiting.length;
  }
}
