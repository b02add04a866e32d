// The items of one task from open to their end: pipes being written, items in
// the task host awaiting their outcome, and what became of pipes that went
// away while open (so that a later write or close is told why).
import { randomUUID } from 'node:crypto';
import { SidexError } from '../../../errors.js';
import { itemCancelled, itemFailed, pipeNotFound } from '../errors.js';
import type { ItemResult } from '../../../runtime/pipeline-host/pipeline.js';
import { itemContent, type ItemContent } from '../../../runtime/pipeline-host/item-content.js';

export interface Pipe {
  id: number;
  name: string;
  objectId: string;
  mimeType: string;
  chunks: Buffer[];
  size: number;
}

export interface InFlight {
  pipe: Pipe;
  resolve(result: ItemResult): void;
  reject(err: Error): void;
}

/** How many pipes that went away are remembered. */
const REMEMBERED = 1000;

export class Items {
  private readonly pipes = new Map<number, Pipe>();
  private readonly inFlight = new Map<number, InFlight>();
  private readonly gone = new Map<number, SidexError>();
  private nextId = 1;
  private lastStarted: Pipe | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly token: string) {}

  /** Items accepted and not yet ended. */
  get busyCount(): number {
    return this.pipes.size + this.inFlight.size;
  }

  /** Resolves once no item is in progress. */
  whenIdle(): Promise<void> {
    if (this.busyCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  open(object: Record<string, unknown>, mimeType: string): Pipe {
    const id = this.nextId++;
    // As RocketRide: an item opened without a name is named by a fresh UUID.
    const name = typeof object.name === 'string' && object.name ? object.name : randomUUID();
    const pipe: Pipe = { id, name, objectId: randomUUID(), mimeType, chunks: [], size: 0 };
    this.pipes.set(id, pipe);
    return pipe;
  }

  /** An open pipe, or the error that says why there is none. */
  pipe(id: number): Pipe {
    const pipe = this.pipes.get(id);
    if (pipe) return pipe;
    const gone = this.gone.get(id);
    if (gone) throw gone;
    if (this.inFlight.has(id)) throw new SidexError('PIPE_CLOSED', `pipe_id: pipe ${id} of task "${this.token}" is already closed`, { field: 'pipe_id' });
    throw pipeNotFound(this.token, id);
  }

  /** The pipe's item goes to the host: its content, and its result once the outcome comes. */
  close(id: number): { pipe: Pipe; content: ItemContent; result: Promise<ItemResult> } {
    const pipe = this.pipe(id);
    this.pipes.delete(id);
    const content = itemContent(pipe.chunks, pipe.mimeType);
    pipe.chunks = [];
    this.lastStarted = pipe;
    const result = new Promise<ItemResult>((resolve, reject) => this.inFlight.set(id, { pipe, resolve, reject }));
    return { pipe, content, result };
  }

  /** The item awaiting this outcome; undefined when it was already ended (cancelled). */
  take(id: number): InFlight | undefined {
    const entry = this.inFlight.get(id);
    if (this.inFlight.delete(id)) this.checkIdle();
    return entry;
  }

  /** An open pipe given up: its item is cancelled. */
  abandon(id: number, why: string): Pipe {
    const pipe = this.pipe(id);
    this.pipes.delete(id);
    this.remember(id, itemCancelled(this.token, id, why));
    this.checkIdle();
    return pipe;
  }

  /** Every item not yet ended ends as `outcome`; answers them, and whether each was in the host. */
  endAll(outcome: 'cancelled' | 'failed', why: string): Array<{ pipe: Pipe; inHost: boolean }> {
    const error = (id: number) => (outcome === 'cancelled' ? itemCancelled(this.token, id, why) : itemFailed(this.token, id, why));
    const ended: Array<{ pipe: Pipe; inHost: boolean }> = [];
    for (const pipe of this.pipes.values()) {
      this.remember(pipe.id, error(pipe.id));
      ended.push({ pipe, inHost: false });
    }
    for (const { pipe, reject } of this.inFlight.values()) {
      reject(error(pipe.id));
      ended.push({ pipe, inHost: true });
    }
    this.pipes.clear();
    this.inFlight.clear();
    this.checkIdle();
    return ended;
  }

  /** The pipe of an item in the host, if it is still there. */
  inHost(id: number): Pipe | undefined {
    return this.inFlight.get(id)?.pipe;
  }

  /** The item most recently handed to the host that is still there. */
  current(): Pipe | undefined {
    if (this.lastStarted && this.inFlight.has(this.lastStarted.id)) return this.lastStarted;
    return this.inFlight.values().next().value?.pipe;
  }

  private checkIdle(): void {
    if (this.busyCount > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private remember(id: number, error: SidexError): void {
    this.gone.set(id, error);
    if (this.gone.size > REMEMBERED) this.gone.delete(this.gone.keys().next().value!);
  }
}
