import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, SQLITE_FILE, type ExecutionStore } from '../dist/index.js';
import { openSqliteStore } from '../dist/store/sqlite/open-sqlite.js';
import { sqliteMigrations } from '../dist/store/sqlite/migrations.js';
import { makeRecord } from './fixtures/records.js';
import { dataDirs, killAndWait, lockHolder } from './fixtures/sqlite-files.js';
import { sqlWriteAtomicity, storeContract } from './store-contract.js';

const newDataDir = dataDirs();

storeContract('sqlite', { open: () => openStore(undefined, newDataDir()) });
sqlWriteAtomicity('sqlite', { open: () => openStore(undefined, newDataDir()) });

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as { code?: string; message?: string },
  );

/** A data directory whose database spans many pages. */
async function filledDataDir(): Promise<string> {
  const dir = newDataDir();
  const store = await openStore(undefined, dir);
  for (let i = 0; i < 300; i++) await store.insert(makeRecord({ stdout: { text: 'x'.repeat(3000), truncated: false, bytes: 3000 } }));
  await store.close();
  return dir;
}

describe('store: sqlite specifics', () => {
  const open: ExecutionStore[] = [];
  const track = (s: ExecutionStore) => (open.push(s), s);
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('lives in <dataDir>/sidex.db, in WAL mode, and keeps everything across a reopen', async () => {
    const dir = newDataDir();
    const store = await openStore(undefined, dir);
    const records = Array.from({ length: 20 }, () => makeRecord());
    for (const r of records) await store.insert(r);
    expect(fs.existsSync(path.join(dir, `${SQLITE_FILE}-wal`))).toBe(true);
    await store.close();
    const again = track(await openStore('sqlite:', dir));
    for (const r of records) expect(await again.get(r.id)).toEqual(r);
  });

  it('sqlite:<file> puts the database where it is told', async () => {
    const file = path.join(newDataDir(), 'elsewhere', 'history.db');
    const store = await openStore(`sqlite:${file}`, '/nonexistent-data-dir');
    await store.insert(makeRecord());
    await store.close();
    expect(fs.statSync(file).size).toBeGreaterThan(0);
  });

  it('applies migrations once, and refuses a database from a newer sidex without touching it', async () => {
    const dir = newDataDir();
    await (await openStore(undefined, dir)).close();
    await (await openStore(undefined, dir)).close();
    const file = path.join(dir, SQLITE_FILE);
    const db = new Database(file);
    const versions = sqliteMigrations.map((m) => ({ version: m.version }));
    expect(db.prepare('SELECT version FROM sidex_schema ORDER BY version').all()).toEqual(versions);
    db.prepare("INSERT INTO sidex_schema (version, name, applied_at) VALUES (?, 'from the future', 0)").run(versions.length + 1);
    db.close();
    const err = await errorOf(openStore(undefined, dir));
    expect(err?.code).toBe('STORE_TOO_NEW');
    expect(err?.message).toContain(file);
    const after = new Database(file);
    expect(after.prepare('SELECT count(*) AS n FROM sidex_schema').get()).toEqual({ n: versions.length + 1 });
    after.close();
  });

  describe('a damaged database gives a clear error, not a crash', () => {
    it('garbage bytes: STORE_CORRUPT naming the file and what to do; the file is left as it was', async () => {
      const dir = newDataDir();
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, SQLITE_FILE);
      const garbage = Buffer.alloc(64 * 1024, 0);
      for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
      fs.writeFileSync(file, garbage);
      const err = await errorOf(openStore(undefined, dir));
      expect(err?.code).toBe('STORE_CORRUPT');
      expect(err?.message).toContain(file);
      expect(err?.message).toMatch(/move .* aside/);
      expect(fs.readFileSync(file).equals(garbage)).toBe(true);
    });

    it('a truncated file: STORE_CORRUPT', async () => {
      const dir = await filledDataDir();
      const file = path.join(dir, SQLITE_FILE);
      const whole = fs.readFileSync(file);
      fs.writeFileSync(file, whole.subarray(0, whole.length / 2));
      expect((await errorOf(openStore(undefined, dir)))?.code).toBe('STORE_CORRUPT');
    });

    it('damaged pages behind an intact header: STORE_CORRUPT at open, not in the middle of a write later', async () => {
      const dir = await filledDataDir();
      const file = path.join(dir, SQLITE_FILE);
      const bytes = fs.readFileSync(file);
      for (let i = 3 * 4096; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
      fs.writeFileSync(file, bytes);
      const err = await errorOf(openStore(undefined, dir));
      expect(err?.code).toBe('STORE_CORRUPT');
      expect(err?.message).toContain(file);
    });
  });

  describe('a locked database gives a clear error, not a hang', () => {
    it('another process holds an exclusive lock: STORE_LOCKED after the busy timeout', async () => {
      const dir = newDataDir();
      await (await openStore(undefined, dir)).close();
      const file = path.join(dir, SQLITE_FILE);
      const holder = await lockHolder(file);
      try {
        const began = Date.now();
        const err = await errorOf(openSqliteStore(file, { busyTimeoutMs: 300 }));
        expect(err?.code).toBe('STORE_LOCKED');
        expect(err?.message).toContain(file);
        expect(err?.message).toMatch(/another sidex server/);
        expect(Date.now() - began).toBeLessThan(3000);
      } finally {
        await killAndWait(holder);
      }
      // The holder is gone (SIGKILL): its lock went with it.
      track(await openStore(undefined, dir));
    });

    it('a second server on the same data directory: STORE_LOCKED until the first closes', async () => {
      const dir = newDataDir();
      const first = await openStore(undefined, dir);
      await first.insert(makeRecord());
      const err = await errorOf(openSqliteStore(path.join(dir, SQLITE_FILE), { busyTimeoutMs: 100 }));
      expect(err?.code).toBe('STORE_LOCKED');
      await first.close();
      expect((await track(await openStore(undefined, dir)).usage()).records).toBe(1);
    });
  });

  it('a place it cannot write: STORE_UNAVAILABLE naming the file', async () => {
    const dir = newDataDir();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'a-file'), 'not a directory');
    const file = path.join(dir, 'a-file', 'sub', 'x.db');
    const err = await errorOf(openStore(`sqlite:${file}`, dir));
    expect(err?.code).toBe('STORE_UNAVAILABLE');
    expect(err?.message).toContain(file);
  });

  it('a closed store answers STORE_CLOSED', async () => {
    const store = await openStore(undefined, newDataDir());
    await store.close();
    expect((await errorOf(store.get('side_1_x')))?.code).toBe('STORE_CLOSED');
  });
});
