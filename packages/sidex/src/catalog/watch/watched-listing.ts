import { ChangeWatch } from './change-watch.js';

/** A value computed from directories, recomputed only after they changed. */
export class WatchedListing<T> {
  private value: T | undefined;
  private readonly watch: ChangeWatch;

  constructor(
    dirs: readonly string[],
    private readonly scan: () => T,
  ) {
    this.watch = new ChangeWatch(dirs);
  }

  /**
   * With `fresh`, rescans now even if no event has arrived yet: for a name
   * that is not in the listing, which may have been written a moment ago
   * (events are delivered on a later turn of the event loop).
   */
  get(options: { fresh?: boolean } = {}): T {
    if (options.fresh) this.watch.invalidate();
    // changed() clears the dirty mark before the scan: a change during the scan marks it again.
    if (this.watch.changed() || this.value === undefined) this.value = this.scan();
    return this.value;
  }

  close(): void {
    this.watch.close();
  }
}
