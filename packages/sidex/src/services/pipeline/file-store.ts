// RocketRide's account file store (`rrext_store` fs_*): files under one
// directory (sidex has one account: its API key), opened as handles to read
// or write. Paths are relative and confined to the store; handles belong to
// the connection that opened them and are closed when it goes away.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SidexError } from '../../errors.js';

/** Most bytes one fs_read answers (RocketRide's 4 MiB). */
export const MAX_READ = 4 * 1024 * 1024;
/** Handles one connection may hold open. */
const MAX_HANDLES = 100;

interface Handle {
  owner: string;
  mode: 'r' | 'w';
  file: string;
  /** A write goes to a temporary file, renamed into place at close. */
  temp?: string;
  fd: fs.FileHandle;
}

const notFound = (what: string) => new SidexError('NOT_FOUND', `path: ${what} does not exist in the store`, { field: 'path' });

export class FileStore {
  private readonly handles = new Map<string, Handle>();

  constructor(private readonly root: string) {}

  /** An absolute path inside the store, or INVALID_PATH. */
  resolve(relative: unknown, field = 'path', allowRoot = false): string {
    if (typeof relative !== 'string' || (relative === '' && !allowRoot)) throw new SidexError('INVALID_PATH', `${field}: must be a non-empty relative path in the store`, { field });
    if (relative.length > 1024 || relative.includes('\0')) throw new SidexError('INVALID_PATH', `${field}: is not a valid path`, { field });
    if (path.isAbsolute(relative)) throw new SidexError('INVALID_PATH', `${field}: must be relative to the store, not absolute`, { field });
    const full = path.resolve(this.root, relative);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) throw new SidexError('INVALID_PATH', `${field}: leads outside the store`, { field });
    return full;
  }

  async open(owner: string, relative: unknown, mode: unknown): Promise<{ handle: string; size?: number }> {
    if (mode !== undefined && mode !== 'r' && mode !== 'w') throw new SidexError('INVALID_ARGUMENT', "mode: must be 'r' or 'w'", { field: 'mode' });
    if ([...this.handles.values()].filter((h) => h.owner === owner).length >= MAX_HANDLES) {
      throw new SidexError('TOO_MANY_HANDLES', `handle: this connection already has ${MAX_HANDLES} open handles; close some`, { field: 'handle' });
    }
    const file = this.resolve(relative);
    const handle = randomUUID();
    if (mode === 'w') {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const temp = `${file}.${handle}.part`;
      this.handles.set(handle, { owner, mode: 'w', file, temp, fd: await fs.open(temp, 'w') });
      return { handle };
    }
    const fd = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' || err.code === 'EISDIR' ? notFound(String(relative)) : err;
    });
    this.handles.set(handle, { owner, mode: 'r', file, fd });
    return { handle, size: (await fd.stat()).size };
  }

  async read(owner: string, handle: unknown, offset: unknown, length: unknown): Promise<Buffer> {
    const h = this.handle(owner, handle, 'r');
    const at = typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : 0;
    const size = typeof length === 'number' && Number.isInteger(length) && length > 0 ? Math.min(length, MAX_READ) : MAX_READ;
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await h.fd.read(buffer, 0, size, at);
    return buffer.subarray(0, bytesRead);
  }

  async write(owner: string, handle: unknown, data: unknown): Promise<number> {
    const h = this.handle(owner, handle, 'w');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data instanceof Uint8Array ? data : undefined;
    if (!bytes) throw new SidexError('INVALID_DATA', 'data: must be bytes or a string', { field: 'data' });
    const { bytesWritten } = await h.fd.write(bytes);
    return bytesWritten;
  }

  async close(owner: string, handle: unknown): Promise<void> {
    const h = this.handle(owner, handle);
    this.handles.delete(handle as string);
    await h.fd.close();
    if (h.temp) await fs.rename(h.temp, h.file);
  }

  async delete(relative: unknown): Promise<void> {
    await fs.unlink(this.resolve(relative)).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? notFound(String(relative)) : err;
    });
  }

  async stat(relative: unknown): Promise<{ exists: boolean; type?: 'file' | 'dir'; size?: number; modified?: number }> {
    const stat = await fs.stat(this.resolve(relative, 'path', true)).catch(() => undefined);
    if (!stat) return { exists: false };
    return stat.isDirectory() ? { exists: true, type: 'dir', modified: stat.mtimeMs / 1000 } : { exists: true, type: 'file', size: stat.size, modified: stat.mtimeMs / 1000 };
  }

  async listDir(relative: unknown): Promise<{ entries: Array<{ name: string; type: 'file' | 'dir'; size?: number; modified?: number }>; count: number }> {
    const dir = this.resolve(relative ?? '', 'path', true);
    await fs.mkdir(this.root, { recursive: true });
    const names = await fs.readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' || err.code === 'ENOTDIR' ? notFound(String(relative)) : err;
    });
    const entries = [];
    for (const entry of names.filter((e) => !e.name.endsWith('.part'))) {
      const stat = await fs.stat(path.join(dir, entry.name)).catch(() => undefined);
      if (stat) entries.push(stat.isDirectory() ? { name: entry.name, type: 'dir' as const } : { name: entry.name, type: 'file' as const, size: stat.size, modified: stat.mtimeMs / 1000 });
    }
    return { entries, count: entries.length };
  }

  async mkdir(relative: unknown): Promise<void> {
    await fs.mkdir(this.resolve(relative), { recursive: true });
  }

  async rmdir(relative: unknown, recursive: unknown): Promise<void> {
    if (recursive !== undefined && typeof recursive !== 'boolean') throw new SidexError('INVALID_ARGUMENT', 'recursive: must be true or false', { field: 'recursive' });
    await fs.rm(this.resolve(relative), { recursive: recursive === true }).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw notFound(String(relative));
      if (err.code === 'ERR_FS_EISDIR' || err.code === 'EISDIR') await fs.rmdir(this.resolve(relative)).catch((e: NodeJS.ErrnoException) => {
        throw e.code === 'ENOTEMPTY' ? new SidexError('DIRECTORY_NOT_EMPTY', `path: ${String(relative)} is not empty (pass recursive: true)`, { field: 'path' }) : e;
      });
      else throw err;
    });
  }

  async rename(from: unknown, to: unknown): Promise<void> {
    const source = this.resolve(from, 'old_path');
    const target = this.resolve(to, 'new_path');
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rename(source, target).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? notFound(String(from)) : err;
    });
  }

  /** The connection went away: its handles close (writes not closed are dropped). */
  async release(owner: string): Promise<void> {
    for (const [id, h] of this.handles) {
      if (h.owner !== owner) continue;
      this.handles.delete(id);
      await h.fd.close().catch(() => {});
      if (h.temp) await fs.unlink(h.temp).catch(() => {});
    }
  }

  private handle(owner: string, id: unknown, mode?: 'r' | 'w'): Handle {
    const h = typeof id === 'string' ? this.handles.get(id) : undefined;
    if (!h || h.owner !== owner) throw new SidexError('INVALID_HANDLE', `handle: no open handle "${String(id)}" on this connection`, { field: 'handle' });
    if (mode && h.mode !== mode) throw new SidexError('INVALID_HANDLE', `handle: "${String(id)}" is open for ${h.mode === 'r' ? 'reading' : 'writing'}`, { field: 'handle' });
    return h;
  }
}
