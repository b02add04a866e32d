// Messages (a pipeline task's items, ctx.onMessage) and progress for an
// execution must reach its worker once and in order, and pub/sub keeps
// nothing: one published while the worker's subscription reconnects is lost.
// So they wait in the execution's inbox, a Redis list, until its worker takes
// them. A note on the control channel wakes the worker at once; the worker
// also looks every second, for a note that was lost. Each entry is numbered
// by its sender, so one written twice (ioredis sends a command again when its
// connection dropped before the reply) is taken once.
import type { Redis } from 'ioredis';
import { inboxKey } from './keys.js';

export type InboxOp = { op: 'message'; value: unknown } | { op: 'progress'; value: unknown };
type Entry = InboxOp & { from: string; n: number };

/** An inbox left by an execution that ended first goes after a day. */
const KEPT_S = 24 * 3600;
/** Entries taken per read. */
const BATCH = 100;

/** A server's side: numbers its entries, one count for every execution (an execution's entries from it still rise). */
export class InboxSender {
  private sent = 0;

  constructor(
    private readonly redis: Redis,
    private readonly from: string,
  ) {}

  /** Appends; commands on one connection land in the order issued, so entries keep the order of the calls. */
  send(id: string, op: InboxOp): Promise<unknown> {
    const key = inboxKey(id);
    return this.redis.multi().rpush(key, JSON.stringify({ ...op, from: this.from, n: ++this.sent })).expire(key, KEPT_S).exec();
  }
}

/** A worker's side, for one execution: takes what waits, in order, one read at a time. */
export class InboxReader {
  private readonly seen = new Map<string, number>();
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly redis: Redis,
    private readonly id: string,
    private readonly apply: (op: InboxOp) => void,
  ) {}

  /** Takes everything waiting now; calls queue behind each other. */
  take(): Promise<void> {
    const next = this.tail.then(() => this.takeAll());
    this.tail = next.catch(() => {}); // Redis away: the next look takes what is left
    return next;
  }

  private async takeAll(): Promise<void> {
    for (;;) {
      const texts = (await this.redis.lpop(inboxKey(this.id), BATCH)) ?? [];
      for (const text of texts) {
        const entry = JSON.parse(text) as Entry;
        if ((this.seen.get(entry.from) ?? 0) >= entry.n) continue; // written twice
        this.seen.set(entry.from, entry.n);
        this.apply(entry);
      }
      if (texts.length < BATCH) return;
    }
  }
}

/** The ids among `ids` whose inbox holds entries: one round trip. */
export async function withEntries(redis: Redis, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = await redis.pipeline(ids.map((id) => ['exists', inboxKey(id)])).exec();
  return ids.filter((_, i) => found?.[i]?.[1] === 1);
}
