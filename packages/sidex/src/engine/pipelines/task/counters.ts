// The item counts of a task and its rates, as §3's status reports them.

/** What became of items, as counted for a task and for /metrics. */
export type ItemCountState = 'accepted' | 'completed' | 'failed' | 'cancelled' | 'refused';

export class ItemCounters {
  totalCount = 0;
  totalSize = 0;
  completedCount = 0;
  completedSize = 0;
  failedCount = 0;
  failedSize = 0;
  cancelledCount = 0;
  cancelledSize = 0;
  refusedCount = 0;
  rateCount = 0;
  rateSize = 0;
  private mark = { time: Date.now(), count: 0, size: 0 };

  /** `onCount` hears every count as it moves (the server's metrics). */
  constructor(private readonly onCount?: (state: ItemCountState, n: number) => void) {}

  /** One item was opened. */
  accept(): void {
    this.totalCount++;
    this.onCount?.('accepted', 1);
  }

  /** `n` items were refused. */
  refuse(n: number): void {
    if (n <= 0) return;
    this.refusedCount += n;
    this.onCount?.('refused', n);
  }

  /** One item (of `size` bytes) ended this way. */
  add(outcome: 'completed' | 'failed' | 'cancelled', size: number): void {
    this[`${outcome}Count`]++;
    this[`${outcome}Size`] += size;
    this.onCount?.(outcome, 1);
  }

  /** Items (and bytes) finished per second since the last sample; answers whether a rate changed. */
  sampleRates(now = Date.now()): boolean {
    const seconds = (now - this.mark.time) / 1000;
    if (seconds <= 0) return false;
    const done = this.completedCount + this.failedCount;
    const doneSize = this.completedSize + this.failedSize;
    const rateCount = Math.round((done - this.mark.count) / seconds);
    const rateSize = Math.round((doneSize - this.mark.size) / seconds);
    this.mark = { time: now, count: done, size: doneSize };
    const changed = rateCount !== this.rateCount || rateSize !== this.rateSize;
    this.rateCount = rateCount;
    this.rateSize = rateSize;
    return changed;
  }

  stopRates(): void {
    this.rateCount = 0;
    this.rateSize = 0;
  }
}

/** Error and warning lists keep the most recent 50 (as RocketRide does). */
export const MAX_MESSAGES = 50;

export function pushBounded(list: string[], message: string): void {
  list.push(message);
  if (list.length > MAX_MESSAGES) list.splice(0, list.length - MAX_MESSAGES);
}
