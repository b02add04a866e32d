import WebSocket from 'ws';

export interface ConnectionLimits {
  /** Events are dropped (and the drop announced) while more than this many bytes wait to be sent. */
  eventHighWater: number;
  /** Reading new frames pauses while more than this many bytes of replies wait to be sent... */
  replyHighWater: number;
  /** ...or while this many requests are being served. */
  maxInFlight: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  eventHighWater: 1024 * 1024,
  replyHighWater: 8 * 1024 * 1024,
  maxInFlight: 1024,
};

const WATCH_MS = 25;

/**
 * Keeps one WebSocket connection's memory bounded, whatever its client does:
 * a client that does not read gets its events dropped (the connection is told
 * how many once the socket has drained, to announce it in its own dialect),
 * and a client that sends requests without reading replies is no longer read
 * until they drain. Shared by every WebSocket dialect.
 */
export class FlowControl {
  private inFlight = 0;
  private dropped = 0;
  private paused = false;
  private watch: NodeJS.Timeout | undefined;
  /** Of the dropped events that carry a `latest` key (statuses), the newest of each: sent after the drop notice. */
  private readonly held = new Map<string, () => void>();

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: ConnectionLimits,
    /** Called once the socket has drained after events were dropped, with how many were; the held statuses follow. */
    private readonly drained: (dropped: number) => void,
  ) {}

  /**
   * Sends an event now (`send`), or drops it while the client reads too
   * slowly. An event given a `latest` key (an execution's or a task's status)
   * is not lost with the others: the newest of each key is sent once the
   * client has caught up, after the drop notice, so a drop never hides where
   * one stands (its end above all). At most one is held per key.
   */
  offerEvent(send: () => void, latest?: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.limits.eventHighWater) {
      this.dropped++;
      if (latest !== undefined) this.held.set(latest, send);
      this.arm();
      return;
    }
    this.announceDrops();
    if (latest !== undefined) this.held.delete(latest);
    send();
  }

  /** A request is being served: reading pauses while too many are, or too many bytes of replies wait. */
  begin(): void {
    this.inFlight++;
    this.throttle();
  }

  end(): void {
    this.inFlight--;
    this.throttle();
  }

  /** The connection closed. */
  stop(): void {
    this.disarm();
    this.held.clear();
  }

  private overloaded(): boolean {
    return this.inFlight >= this.limits.maxInFlight || this.ws.bufferedAmount > this.limits.replyHighWater;
  }

  private throttle(): void {
    if (!this.paused && this.overloaded()) {
      this.paused = true;
      this.ws.pause();
      this.arm();
    }
  }

  /** Checks every few ms, while needed, whether the socket drained. */
  private arm(): void {
    this.watch ??= setInterval(() => this.check(), WATCH_MS);
  }

  private check(): void {
    if (this.ws.readyState !== WebSocket.OPEN) return this.disarm();
    if (this.paused && this.inFlight < this.limits.maxInFlight / 2 && this.ws.bufferedAmount < this.limits.replyHighWater / 2) {
      this.paused = false;
      this.ws.resume();
    }
    if (this.dropped > 0 && this.ws.bufferedAmount <= this.limits.eventHighWater / 4) this.announceDrops();
    if (!this.paused && this.dropped === 0) this.disarm();
  }

  private disarm(): void {
    clearInterval(this.watch);
    this.watch = undefined;
  }

  private announceDrops(): void {
    if (this.dropped === 0) return;
    const count = this.dropped;
    this.dropped = 0;
    this.drained(count);
    const held = [...this.held.values()];
    this.held.clear();
    for (const send of held) send();
  }
}
