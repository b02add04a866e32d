// Requests in flight, matched with their replies by a key read from each reply
// (Codebolt's requestId, DAP's request_seq): what came back once, twice, for
// nobody, or never, and how long each took.

export type Frame = Record<string, any>;

export interface ReplyTally {
  sent: number;
  answered: number;
  lost: number;
  duplicated: number;
  /** Replies naming a request nobody sent. */
  unexpected: number;
  /** Replies with success: false, by code. */
  failures: Record<string, number>;
  latenciesMs: number[];
}

export const newReplyTally = (): ReplyTally => ({ sent: 0, answered: 0, lost: 0, duplicated: 0, unexpected: 0, failures: {}, latenciesMs: [] });

const now = () => Number(process.hrtime.bigint()) / 1e6;

export class ReplyMatcher {
  private readonly pending = new Map<string | number, { sent: number; resolve: (f: Frame) => void }>();
  private readonly answered = new Set<string | number>();

  constructor(readonly tally: ReplyTally = newReplyTally()) {}

  /** Resolves with the reply to `key`, or with `{success: false, code: 'LOST'}` when none came within `timeoutMs`. */
  expect(key: string | number, timeoutMs = 60_000): Promise<Frame> {
    this.tally.sent++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(key)) return;
        this.tally.lost++;
        resolve({ success: false, code: 'LOST' });
      }, timeoutMs);
      this.pending.set(key, { sent: now(), resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  reply(key: string | number | undefined, frame: Frame): void {
    if (key === undefined) return;
    const waiting = this.pending.get(key);
    if (!waiting) {
      if (this.answered.has(key)) this.tally.duplicated++;
      else this.tally.unexpected++;
      return;
    }
    this.pending.delete(key);
    this.answered.add(key);
    this.tally.answered++;
    this.tally.latenciesMs.push(now() - waiting.sent);
    if (frame.success === false) this.tally.failures[frame.code ?? 'NO_CODE'] = (this.tally.failures[frame.code ?? 'NO_CODE'] ?? 0) + 1;
    waiting.resolve(frame);
  }
}

/** Sums the tallies of several matchers (or workers). */
export function sumTallies(tallies: ReplyTally[]): ReplyTally {
  const total = newReplyTally();
  for (const t of tallies) {
    total.sent += t.sent;
    total.answered += t.answered;
    total.lost += t.lost;
    total.duplicated += t.duplicated;
    total.unexpected += t.unexpected;
    for (const [code, n] of Object.entries(t.failures)) total.failures[code] = (total.failures[code] ?? 0) + n;
    total.latenciesMs.push(...t.latenciesMs);
  }
  return total;
}
