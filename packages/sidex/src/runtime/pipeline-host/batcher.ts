/**
 * Collects values and hands them over together once the current turn of the
 * event loop is over: items that close (or finish) together cross the IPC
 * channel as one message, which is what makes thousands of small items a
 * second affordable.
 */
export class Batcher<T> {
  private pending: T[] = [];
  private scheduled = false;

  constructor(private readonly deliver: (batch: T[]) => void) {}

  add(value: T): void {
    this.pending.push(value);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.deliver(batch);
  }
}
