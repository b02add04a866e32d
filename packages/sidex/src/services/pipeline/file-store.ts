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

const notFound = (what: string, field = 'path') => new SidexError('NOT_FOUND', `${field}: ${what} does not exist in the store`, { field });

/**
 * A file system refusal as the caller's mistake, naming the field: the
 * store's own paths stay out of it. Anything else is the server's (thrown on).
 */
function storeError(err: NodeJS.ErrnoException, what: string, field = 'path'): unknown {
  switch (err.code) {
    case 'ENOENT':
      return notFound(what, field);
    case 'EISDIR':
      return isADirectory(what, field);
    case 'ENOTDIR':
      return new SidexError('NOT_A_DIRECTORY', `${field}: ${what} lies under a file, not a directory`, { field });
    case 'EEXIST':
      return new SidexError('ALREADY_EXISTS', `${field}: ${what} already exists`, { field });
    case 'ENOTEMPTY':
      return new SidexError('DIRECTORY_NOT_EMPTY', `${field}: ${what} is not empty (pass recursive: true)`, { field });
    default:
      return err;
  }
}

const isADirectory = (what: string, field = 'path') => new SidexError('IS_A_DIRECTORY', `${field}: ${what} is a directory`, { field });

/** An optional whole number of bytes, at least `min`; undefined when absent. */
function byteCount(value: unknown, field: string, min: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw new SidexError('INVALID_ARGUMENT', `${field}: must be a whole number of bytes, at least ${min}`, { field });
  return value;
}

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
    // "." and the like name the store itself: written, it became a file outside it.
    if (full === this.root && !allowRoot) throw new SidexError('INVALID_PATH', `${field}: names the store itself; name a file or a directory in it`, { field });
    return full;
  }

  async open(owner: string, relative: unknown, mode: unknown): Promise<{ handle: string; size?: number }> {
    if (mode !== undefined && mode !== 'r' && mode !== 'w') throw new SidexError('INVALID_ARGUMENT', "mode: must be 'r' or 'w'", { field: 'mode' });
    if ([...this.handles.values()].filter((h) => h.owner === owner).length >= MAX_HANDLES) {
      throw new SidexError('TOO_MANY_HANDLES', `handle: this connection already has ${MAX_HANDLES} open handles; close some`, { field: 'handle' });
    }
    const file = this.resolve(relative);
    const what = String(relative);
    const handle = randomUUID();
    if (mode === 'w') {
      if ((await fs.stat(file).catch(() => undefined))?.isDirectory()) throw isADirectory(what);
      // A file where a directory of the path should be: EEXIST from mkdir, ENOTDIR from anything under it.
      await fs.mkdir(path.dirname(file), { recursive: true }).catch((err: NodeJS.ErrnoException) => Promise.reject(storeError(err.code === 'EEXIST' ? { ...err, code: 'ENOTDIR' } : err, what)));
      const temp = `${file}.${handle}.part`;
      this.handles.set(handle, { owner, mode: 'w', file, temp, fd: await fs.open(temp, 'w').catch((err: NodeJS.ErrnoException) => Promise.reject(storeError(err, what))) });
      return { handle };
    }
    const fd = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => Promise.reject(storeError(err, what)));
    const stat = await fd.stat();
    if (stat.isDirectory()) {
      await fd.close();
      throw isADirectory(what);
    }
    this.handles.set(handle, { owner, mode: 'r', file, fd });
    return { handle, size: stat.size };
  }

  async read(owner: string, handle: unknown, offset: unknown, length: unknown): Promise<Buffer> {
    const h = this.handle(owner, handle, 'r');
    const at = byteCount(offset, 'offset', 0) ?? 0;
    const size = Math.min(byteCount(length, 'length', 1) ?? MAX_READ, MAX_READ);
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
    if (h.temp) {
      const temp = h.temp;
      await fs.rename(temp, h.file).catch(async (err: NodeJS.ErrnoException) => {
        await fs.unlink(temp).catch(() => {});
        throw storeError(err, path.relative(this.root, h.file));
      });
    }
  }

  async delete(relative: unknown): Promise<void> {
    await fs.unlink(this.resolve(relative)).catch((err: NodeJS.ErrnoException) => Promise.reject(storeError(err, String(relative))));
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
    await fs.mkdir(this.resolve(relative), { recursive: true }).catch((err: NodeJS.ErrnoException) => Promise.reject(storeError(err, String(relative))));
  }

  async rmdir(relative: unknown, recursive: unknown): Promise<void> {
    if (recursive !== undefined && typeof recursive !== 'boolean') throw new SidexError('INVALID_ARGUMENT', 'recursive: must be true or false', { field: 'recursive' });
    const dir = this.resolve(relative);
    const what = String(relative);
    const stat = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => Promise.reject(storeError(err, what)));
    if (!stat.isDirectory()) throw new SidexError('NOT_A_DIRECTORY', `path: ${what} is a file; fs_delete removes files`, { field: 'path' });
    await (recursive === true ? fs.rm(dir, { recursive: true }) : fs.rmdir(dir)).catch((err: NodeJS.ErrnoException) => Promise.reject(storeError(err, what)));
  }

  async rename(from: unknown, to: unknown): Promise<void> {
    const source = this.resolve(from, 'old_path');
    const target = this.resolve(to, 'new_path');
    if (target.startsWith(source + path.sep)) throw new SidexError('INVALID_PATH', `new_path: ${String(to)} lies inside old_path; a directory cannot move into itself`, { field: 'new_path' });
    await fs.mkdir(path.dirname(target), { recursive: true }).catch((err: NodeJS.ErrnoException) =>
      Promise.reject(storeError(err.code === 'EEXIST' ? { ...err, code: 'ENOTDIR' } : err, String(to), 'new_path')),
    );
    await fs.rename(source, target).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw notFound(String(from), 'old_path');
      // Onto a directory, or a directory onto a file.
      throw ['ENOTEMPTY', 'EEXIST', 'EISDIR', 'ENOTDIR'].includes(err.code ?? '') ? storeError({ ...err, code: 'EEXIST' }, String(to), 'new_path') : err;
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
