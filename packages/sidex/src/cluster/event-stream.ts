// Engine events travel from workers to servers through one Redis stream:
// ordered as each worker wrote them, read by every server from where it left
// off (a reconnect loses nothing the stream still holds).
import type { Redis } from 'ioredis';
import type { EngineEvents } from '../engine/engine.js';
import type { ExecutionEngine } from '../engine/execution-engine.js';
import { isTerminal, type ExecutionRecord } from '../model/record.js';
import { EVENTS_STREAM, outputStream } from './keys.js';

export type EventName = 'status' | 'output' | 'checkpoint' | 'progress' | 'message';
const EVENT_NAMES: readonly EventName[] = ['status', 'output', 'checkpoint', 'progress', 'message'];

export interface StreamBounds {
  /** Entries the events stream keeps (approximately): what a server that was away may catch up on. */
  eventsMaxLen: number;
  /** How long an ended execution's output stays in Redis, seconds. */
  outputTtlSec: number;
}

export const DEFAULT_STREAM_BOUNDS: StreamBounds = { eventsMaxLen: 100_000, outputTtlSec: 7 * 24 * 3600 };

type Event = { [E in EventName]: { name: E; payload: EngineEvents[E][0] } }[EventName];

const xaddArgs = (bounds: StreamBounds, { name, payload }: Event) =>
  [EVENTS_STREAM, 'MAXLEN', '~', String(bounds.eventsMaxLen), '*', 'e', name, 'd', JSON.stringify(payload)] as const;

/** Appends an event to the events stream (a worker's engine event, or a server's record of a loss or a stop). */
export function appendEvent<E extends EventName>(redis: Redis, bounds: StreamBounds, name: E, payload: EngineEvents[E][0]): Promise<unknown> {
  return redis.xadd(...xaddArgs(bounds, { name, payload } as Event));
}

/**
 * Appends the events of one tick in one transaction. A server blocked reading
 * the stream is served once per command: `starting` and `running`, emitted
 * together when a start's code runs, would reach it in two reads, a round
 * trip apart, and its start answer would wait for the second.
 */
function appendEvents(redis: Redis, bounds: StreamBounds, events: readonly Event[]): Promise<unknown> {
  if (events.length === 1) return redis.xadd(...xaddArgs(bounds, events[0]!));
  const transaction = redis.multi();
  for (const event of events) transaction.xadd(...xaddArgs(bounds, event));
  return transaction.exec();
}

/** Closes an execution's output stream: followers stop there; it expires after the bound. */
export function endOutput(redis: Redis, bounds: StreamBounds, id: string, entryId = '*'): Promise<unknown> {
  const key = outputStream(id);
  return redis.multi().xadd(key, entryId, 'end', '1').expire(key, bounds.outputTtlSec).exec();
}

/**
 * Entry ids of the output streams this worker writes: `<ms its try began
 * writing>-<n>`, n counting up. A command ioredis sends again after a
 * reconnection (it cannot know whether Redis ran it) is refused as a
 * duplicate instead of repeating output. A later try of the same execution
 * (an opted-in retry, maybe on another worker) writes above the last entry
 * of the try before, whatever the clocks say: a follower reads on from the
 * last id it saw, and would never see entries below it.
 */
class OutputIds {
  private readonly runs = new Map<string, { base: number; n: number }>();

  /** A try begins: its ids start above `after`, the last entry id of the try before (if any). */
  begin(id: string, after: string | undefined): void {
    const floor = after === undefined ? 0 : Number(after.split('-')[0]) + 1;
    this.runs.set(id, { base: Math.max(Date.now(), floor), n: 0 });
  }

  next(id: string): string {
    let run = this.runs.get(id);
    if (!run) this.runs.set(id, (run = { base: Date.now(), n: 0 }));
    return `${run.base}-${++run.n}`;
  }

  /** The id of the `end` entry; the run is forgotten. */
  last(id: string): string {
    const entry = this.next(id);
    this.runs.delete(id);
    return entry;
  }

  /** A try has ended (a retry may follow, maybe elsewhere): its numbering is not the next try's. */
  forget(id: string): void {
    this.runs.delete(id);
  }
}

/** What a worker's engine events are published through. */
export interface EnginePublisher {
  /** A retry of `id` begins; `after` is the last entry id of its output stream as the try before left it. */
  beginRetry(id: string, after: string | undefined): void;
  /** A try of `id` on this worker has ended, whatever its status. */
  tryEnded(id: string): void;
  close(): void;
}

/**
 * Publishes a worker's engine events: each on the events stream (output as
 * the text live events carry), output also on its execution's own stream,
 * byte for byte (its full log), closed when it ends. The worker tells it
 * when a try begins and ends (a retry's output is numbered after the try
 * before), and closes it to stop publishing.
 */
export function publishEngineEvents(engine: ExecutionEngine, redis: Redis, bounds: StreamBounds): EnginePublisher {
  const ids = new OutputIds();
  // A terminal status closes its output stream after the status is appended, as the tick is sent.
  let tick: { events: Event[]; ended: { id: string; entry: string }[] } | undefined;
  const send = () => {
    const { events, ended } = tick!;
    tick = undefined;
    void appendEvents(redis, bounds, events).catch(() => {});
    for (const { id, entry } of ended) void endOutput(redis, bounds, id, entry).catch(() => {});
  };
  const listeners = EVENT_NAMES.map((name) => {
    const listener = (payload: EngineEvents[typeof name][0]) => {
      if (!tick) queueMicrotask(send);
      tick ??= { events: [], ended: [] };
      tick.events.push({ name, payload } as Event);
      if (name === 'status' && isTerminal((payload as ExecutionRecord).status)) {
        const { id } = payload as ExecutionRecord;
        tick.ended.push({ id, entry: ids.last(id) });
      }
    };
    engine.on(name, listener);
    return () => engine.off(name, listener);
  });
  const bytes = ({ id, stream, data, time }: EngineEvents['outputBytes'][0]) => {
    void redis.xadd(outputStream(id), ids.next(id), 's', stream, 't', String(time), 'd', data).catch(() => {});
  };
  engine.on('outputBytes', bytes);
  return {
    beginRetry: (id, after) => ids.begin(id, after),
    tryEnded: (id) => ids.forget(id),
    close: () => {
      listeners.forEach((off) => off());
      engine.off('outputBytes', bytes);
    },
  };
}

type Entry = [id: string, fields: string[]];

/**
 * Reads the events stream from its current end on, handing each event to
 * `deliver` in order, until closed. A dedicated connection: XREAD blocks it.
 */
export class EventReader {
  private closed = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly deliver: <E extends EventName>(name: E, payload: EngineEvents[E][0]) => void,
  ) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    let last = await this.streamEnd();
    while (!this.closed) {
      let reply: [string, Entry[]][] | null;
      try {
        reply = (await this.redis.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', EVENTS_STREAM, last)) as [string, Entry[]][] | null;
      } catch {
        if (this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, 200)); // Redis away: ioredis reconnects, the read resumes at `last`
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          last = id;
          const name = fields[1] as EventName;
          if (EVENT_NAMES.includes(name)) this.deliver(name, JSON.parse(fields[3] ?? 'null'));
        }
      }
    }
  }

  private async streamEnd(): Promise<string> {
    for (;;) {
      try {
        const newest = (await this.redis.xrevrange(EVENTS_STREAM, '+', '-', 'COUNT', 1)) as Entry[];
        return newest[0]?.[0] ?? '0-0';
      } catch {
        if (this.closed) return '0-0';
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.redis.disconnect();
    await this.done.catch(() => {});
  }
}
