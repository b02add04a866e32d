// RocketRide's file-store calls (`rrext_store` fs_*), for PipelineClient.
// `fs_read` answers its bytes in the reply's `arguments.data` (a binary frame).
import type { DapMessage } from '@sidex/protocol';
import { PipelineError } from './pipeline-error.js';

type Call = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;
type Request = (command: string, args: Record<string, unknown>) => Promise<DapMessage>;

export interface StoreEntry {
  name: string;
  type: 'file' | 'dir';
  size?: number;
  modified?: number;
}

export class FileStoreCalls {
  constructor(
    private readonly call: Call,
    private readonly request: Request,
  ) {}

  open(path: string, mode: 'r' | 'w' = 'r'): Promise<{ handle: string; size?: number }> {
    return this.call('rrext_store', { subcommand: 'fs_open', path, mode });
  }

  async read(handle: string, offset = 0, length = 4_194_304): Promise<Uint8Array> {
    const response = await this.request('rrext_store', { subcommand: 'fs_read', handle, offset, length });
    if (response.success === false) throw new PipelineError(response.code ?? 'FAILED', response.message ?? 'fs_read failed', 'rrext_store', response.details);
    const data = (response.arguments as { data?: Uint8Array } | undefined)?.data;
    return data ?? new Uint8Array(0);
  }

  async write(handle: string, data: Uint8Array): Promise<number> {
    return (await this.call<{ bytesWritten?: number }>('rrext_store', { subcommand: 'fs_write', handle, data })).bytesWritten ?? 0;
  }

  async close(handle: string, mode: 'r' | 'w'): Promise<void> {
    await this.call('rrext_store', { subcommand: 'fs_close', handle, mode });
  }

  async delete(path: string): Promise<void> {
    await this.call('rrext_store', { subcommand: 'fs_delete', path });
  }

  listDir(path = ''): Promise<{ entries: StoreEntry[]; count: number }> {
    return this.call('rrext_store', { subcommand: 'fs_list_dir', path });
  }

  async mkdir(path: string): Promise<void> {
    await this.call('rrext_store', { subcommand: 'fs_mkdir', path });
  }

  async rmdir(path: string, recursive = false): Promise<void> {
    await this.call('rrext_store', { subcommand: 'fs_rmdir', path, recursive });
  }

  stat(path: string): Promise<{ exists: boolean; type?: 'file' | 'dir'; size?: number; modified?: number }> {
    return this.call('rrext_store', { subcommand: 'fs_stat', path });
  }

  async rename(oldPath: string, newPath: string): Promise<void> {
    await this.call('rrext_store', { subcommand: 'fs_rename', old_path: oldPath, new_path: newPath });
  }

  async writeAll(path: string, data: Uint8Array): Promise<void> {
    const { handle } = await this.open(path, 'w');
    await this.write(handle, data);
    await this.close(handle, 'w');
  }

  async readAll(path: string): Promise<Uint8Array> {
    const { handle } = await this.open(path, 'r');
    const chunks: Uint8Array[] = [];
    try {
      for (let offset = 0; ; ) {
        const chunk = await this.read(handle, offset);
        if (chunk.length === 0) break;
        chunks.push(chunk);
        offset += chunk.length;
      }
    } finally {
      await this.close(handle, 'r');
    }
    return Buffer.concat(chunks);
  }
}
