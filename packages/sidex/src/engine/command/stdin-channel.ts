// A command's stdin seen from the engine: whether it is still open, and how
// many bytes the runtime holds that the program has not taken yet, so that a
// writer faster than its reader is told so instead of filling the runtime.
import { SidexError } from '../../errors.js';
import { MAX_STDIN_PENDING_BYTES, MAX_STDIN_WRITE_BYTES } from './command-spec.js';

/** A write to the stdin of inline code or a block. */
export function notACommand(id: string, kind: 'inline' | 'block'): SidexError {
  return new SidexError('NOT_A_COMMAND', `execution "${id}" runs ${kind === 'inline' ? 'inline code' : 'an action block'}, not a command: it has no stdin to write`, { id });
}

/** A write to the stdin of a command that is not running (yet, or any more). */
export function stdinGone(id: string, status: string): SidexError {
  return new SidexError('NOT_RUNNING', `execution "${id}" is ${status}, not running: its stdin is gone`, { id, status });
}

export interface StdinWrite {
  base64?: string;
  close: boolean;
}

export class StdinChannel {
  constructor(
    readonly id: string,
    private open: boolean,
    /** The bytes given with the start, which the runtime writes first. */
    private pending: number,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  /** The message that carries `data` (and the end, with `close`) to the runtime; throws when it may not be written. */
  write(data: Buffer, close: boolean): StdinWrite {
    if (!this.open) {
      throw new SidexError('STDIN_CLOSED', `execution "${this.id}" has no open stdin: it was not started with stdin open, or it was closed`, { id: this.id });
    }
    if (data.length > MAX_STDIN_WRITE_BYTES) {
      throw new SidexError('STDIN_TOO_LARGE', `data: at most ${MAX_STDIN_WRITE_BYTES} bytes per write (got ${data.length})`, { field: 'data', limit: MAX_STDIN_WRITE_BYTES });
    }
    if (this.pending + data.length > MAX_STDIN_PENDING_BYTES) {
      throw new SidexError(
        'STDIN_FULL',
        `execution "${this.id}" has ${this.pending} bytes of stdin its program has not read yet; at most ${MAX_STDIN_PENDING_BYTES} may wait: write again once it reads`,
        { id: this.id, pending: this.pending, limit: MAX_STDIN_PENDING_BYTES },
      );
    }
    this.pending += data.length;
    if (close) this.open = false;
    return { ...(data.length ? { base64: data.toString('base64') } : {}), close };
  }

  /** The runtime handed `bytes` to the program (or dropped them, its reader gone). */
  taken(bytes: number): void {
    this.pending = Math.max(0, this.pending - bytes);
  }

  /** The program has ended: nothing more can be written. */
  end(): void {
    this.open = false;
  }

  get pendingBytes(): number {
    return this.pending;
  }
}
