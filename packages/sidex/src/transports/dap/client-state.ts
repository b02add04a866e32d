// What one DAP client holds on the server: its monitors (one per task token or
// '*', replaced by each rrext_monitor) and the pipes it opened and has not
// closed. When it goes away both are released: monitors unsubscribed, pipes
// abandoned (their items cancelled, their slots freed).
import { SidexError } from '../../errors.js';

/** Monitors one connection may hold at once. */
const MAX_MONITORS = 1000;

export class ClientMonitors {
  private readonly byToken = new Map<string, () => void>();
  private released = false;

  /** Refuses a new key beyond the limit, before anything is subscribed. */
  checkRoom(token: string): void {
    if (!this.byToken.has(token) && this.byToken.size >= MAX_MONITORS) {
      throw new SidexError('TOO_MANY_MONITORS', `token: this connection already monitors ${MAX_MONITORS} tasks; send rrext_monitor with types [] to drop some`, { field: 'token' });
    }
  }

  /** The monitor of `token` becomes `unsubscribe` (or none): the previous one is ended. */
  replace(token: string, unsubscribe: (() => void) | undefined): void {
    this.byToken.get(token)?.();
    this.byToken.delete(token);
    if (!unsubscribe) return;
    if (this.released) unsubscribe(); // subscribed after the client went away
    else this.byToken.set(token, unsubscribe);
  }

  /** Ends every monitor (deauth). */
  clear(): void {
    for (const off of this.byToken.values()) off();
    this.byToken.clear();
  }

  /** The client went away: every monitor ends, and any that completes later ends at once. */
  release(): void {
    this.released = true;
    this.clear();
  }
}

export interface OpenPipe {
  token: string;
  pipe_id: number;
}

export class ClientPipes {
  private readonly open = new Map<string, OpenPipe>();
  private released = false;

  /** `abandon` gives up a pipe the client left open. */
  constructor(private readonly abandon: (pipe: OpenPipe) => void) {}

  opened(token: string, pipeId: number): void {
    if (this.released) return this.abandon({ token, pipe_id: pipeId }); // an open that waited for a slot outlived its client
    this.open.set(`${token}\n${pipeId}`, { token, pipe_id: pipeId });
  }

  closed(token: string, pipeId: number): void {
    this.open.delete(`${token}\n${pipeId}`);
  }

  /** The client went away: every pipe it left open is abandoned, now or when its open completes. */
  release(): void {
    this.released = true;
    for (const pipe of this.open.values()) this.abandon(pipe);
    this.open.clear();
  }
}
