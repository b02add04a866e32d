import { createHash } from 'node:crypto';
import pg from 'pg';
import { SidexError } from '../../errors.js';
import type { ExecutionStore } from '../execution-store.js';
import { migrate } from '../sql/migrate.js';
import { SqlExecutionStore } from '../sql/sql-store.js';
import { postgresMigrations } from './migrations.js';
import { pgError, redactUrl } from './pg-errors.js';
import { PgRunner } from './pg-runner.js';

export interface PostgresStoreOptions {
  /** Who this server is in a shared database: host and data directory. */
  owner: string;
  connectTimeoutMs?: number;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The shared store: `postgres://user:password@host:port/database[?schema=name]`.
 * Several servers may share one database; each holds a session lock on its
 * owner key for as long as it runs, so one data directory has one server.
 */
export async function openPostgresStore(spec: string, options: PostgresStoreOptions): Promise<ExecutionStore> {
  const { url, schema } = parseUrl(spec);
  const where = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url.href,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // A server that stops answering fails the call (STORE_UNAVAILABLE) instead of hanging it.
    query_timeout: 30_000,
    application_name: 'sidex',
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection that breaks is dropped by the pool; the next query
  // opens another or fails with STORE_UNAVAILABLE. It must not crash the server.
  pool.on('error', () => {});
  let lock: pg.PoolClient | undefined;
  try {
    lock = await pool.connect();
    lock.on('error', () => {});
    const [high, low] = lockKey(`${schema ?? ''}:${options.owner}`);
    const held = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [high, low]);
    if (!held.rows[0]?.ok) {
      throw new SidexError(
        'STORE_LOCKED',
        `another sidex server (${options.owner}) is using the PostgreSQL store ${where}: stop it, or give this one another data directory`,
        { store: where, owner: options.owner },
      );
    }
    const session = lock;
    // Unlocked explicitly: the server would drop the lock of a destroyed
    // connection only once its backend noticed, and an immediate reopen (a
    // quick restart) would find it still held.
    const runner = new PgRunner(pool, where, async () => {
      await session.query('SELECT pg_advisory_unlock_all()').catch(() => {});
      session.release(true);
    });
    if (schema) {
      await runner.transaction(async (tx) => {
        await tx.query(runner.dialect.migrationLock!);
        await tx.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      });
    }
    await migrate(runner, postgresMigrations, `the PostgreSQL store ${where}`);
    return new SqlExecutionStore(runner, options.owner);
  } catch (err) {
    lock?.release(true);
    await pool.end().catch(() => {});
    throw pgError(err, where);
  }
}

function parseUrl(spec: string): { url: URL; schema?: string } {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new SidexError('INVALID_CONFIG', `--store: "${spec.replace(/:[^:@/]*@/, ':***@')}" is not a PostgreSQL URL (postgres://user:password@host:port/database)`, {
      field: 'store',
    });
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new SidexError('INVALID_CONFIG', `--store: schema "${schema}" is not a plain identifier (letters, digits, _)`, { field: 'store' });
  }
  url.searchParams.delete('schema');
  return schema ? { url, schema } : { url };
}

/** Two 32-bit halves of a hash of schema and owner: the key of pg_try_advisory_lock(int, int) (locks are per database). */
function lockKey(name: string): [number, number] {
  const digest = createHash('sha256').update(`sidex:${name}`).digest();
  return [digest.readInt32BE(0), digest.readInt32BE(4)];
}
