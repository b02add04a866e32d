/** What a connection subscribed to: every execution, or some by id. */
export class Subscriptions {
  private all = false;
  private readonly ids = new Set<string>();

  add(id: string | undefined): void {
    if (id === undefined) this.all = true;
    else this.ids.add(id);
  }

  /** Without an id: ends every subscription of the connection. */
  remove(id: string | undefined): void {
    if (id === undefined) {
      this.all = false;
      this.ids.clear();
    } else {
      this.ids.delete(id);
    }
  }

  wants(id: string): boolean {
    return this.all || this.ids.has(id);
  }

  get empty(): boolean {
    return !this.all && this.ids.size === 0;
  }

  describe(): { all: boolean; sideExecutionIds: string[] } {
    return { all: this.all, sideExecutionIds: [...this.ids] };
  }
}
