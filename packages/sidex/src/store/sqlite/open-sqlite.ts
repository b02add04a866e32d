import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ExecutionStore } from '../execution-store.js';
import { migrate } from '../sql/migrate.js';
import { SqlExecutionStore } from '../sql/sql-store.js';
import { sqliteMigrations } from './migrations.js';
import { sqliteError } from './sqlite-errors.js';
import { SqliteRunner } from './sqlite-runner.js';

export interface SqliteStoreOptions {
  /** How long to wait for a lock held by another process before STORE_LOCKED. */
  busyTimeoutMs?: number;
}

/**
 * The embedded store: one SQLite file (WAL), migrated to the current schema.
 * Throws STORE_CORRUPT, STORE_LOCKED or STORE_UNAVAILABLE naming the file.
 */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<ExecutionStore> {
  const timeout = options.busyTimeoutMs ?? 2000;
  let db: Database.Database;
  try {
    // Records hold code, params, results and output: for the server's user alone
    // (SQLite gives its -wal and -shm files the mode of the database's).
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(file, 'a', 0o600));
    db = new Database(file, { timeout });
  } catch (err) {
    throw sqliteError(err, file);
  }
  const runner = new SqliteRunner(db, file);
  try {
    // One server per database: the lock is taken at the first access below and
    // held until close, so a second server on the same data directory gets
    // STORE_LOCKED instead of "recovering" the first one's live executions.
    // (The OS drops the lock when the holder dies, SIGKILL included.)
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    // NORMAL, not FULL: in WAL mode a commit has written its frames into the
    // -wal file before the call returns, so they are the kernel's and survive
    // the server process being killed at any instant (SIGKILL included); they
    // are read back at the next open. FULL adds an fsync per commit, which
    // protects only against the machine itself losing power or crashing,
    // costs a disk flush on every state change, and would still not cover the
    // output logs, which are not fsynced either.
    db.pragma('synchronous = NORMAL');
    // With NORMAL the disk is flushed only when the WAL is checkpointed into the
    // database; checkpointing every ~40 MB instead of every 4 MB makes those
    // flushes rarer (the WAL is replayed at the next open after a crash).
    db.pragma('wal_autocheckpoint = 10000');
    // Damage found now is a clear error at start; found later it would fail a
    // write in the middle of an execution. Reads every page once: 0.1 to 0.4 s
    // for 100,000 records (npm run bench -- store).
    const check = db.pragma('quick_check(1)', { simple: true });
    if (check !== 'ok') throw Object.assign(new Error(String(check)), { code: 'SQLITE_CORRUPT' });
    await migrate(runner, sqliteMigrations, `the database ${file}`);
    return new SqlExecutionStore(runner);
  } catch (err) {
    if (db.open) db.close();
    throw sqliteError(err, file);
  }
}
