import { PipelineError } from './pipeline-error.js';
import type { PipelineResult } from '@sidex/protocol';

/** What a DataPipe needs of its client: one DAP call. */
export interface PipeCaller {
  call<T = any>(command: string, args?: Record<string, unknown>, options?: { token?: string }): Promise<T>;
}

/**
 * One item streamed into a task, as RocketRide's DataPipe: `open()` takes one
 * of the task's threads (waiting for one if need be), `write()` sends bytes,
 * `close()` hands the item to the pipeline and resolves with its result.
 */
export class DataPipe {
  private id: number | undefined;
  private opened = false;
  private closed = false;

  constructor(
    private readonly client: PipeCaller,
    private readonly token: string,
    private readonly objinfo: Record<string, unknown> = {},
    private readonly mimeType = 'application/octet-stream',
    private readonly provider?: string,
  ) {}

  get isOpened(): boolean {
    return this.opened && !this.closed;
  }

  /** The id the server gave the pipe, once open. */
  get pipeId(): number | undefined {
    return this.id;
  }

  async open(): Promise<DataPipe> {
    if (this.opened) throw new PipelineError('PIPE_ALREADY_OPEN', 'Pipe already opened', 'rrext_process');
    const args = { subcommand: 'open', object: this.objinfo, mimeType: this.mimeType, ...(this.provider ? { provider: this.provider } : {}) };
    const body = await this.client.call<{ pipe_id: number }>('rrext_process', args, { token: this.token });
    this.id = body.pipe_id;
    this.opened = true;
    return this;
  }

  async write(buffer: Uint8Array): Promise<void> {
    if (!this.opened || this.closed) throw new PipelineError('PIPE_NOT_OPEN', 'Pipe not opened', 'rrext_process');
    if (!(buffer instanceof Uint8Array)) throw new PipelineError('INVALID_DATA', 'Buffer must be Uint8Array', 'rrext_process');
    await this.client.call('rrext_process', { subcommand: 'write', pipe_id: this.id, data: buffer }, { token: this.token });
  }

  /** The item's result; undefined if the pipe was never opened or is already closed. */
  async close(): Promise<PipelineResult | undefined> {
    if (!this.opened || this.closed) return undefined;
    this.closed = true;
    return this.client.call<PipelineResult>('rrext_process', { subcommand: 'close', pipe_id: this.id }, { token: this.token });
  }

  /** sidex: gives the item up (it is cancelled, its thread freed) instead of closing it. */
  async abandon(): Promise<void> {
    if (!this.opened || this.closed) return;
    this.closed = true;
    await this.client.call('rrext_process', { subcommand: 'abandon', pipe_id: this.id }, { token: this.token });
  }
}
