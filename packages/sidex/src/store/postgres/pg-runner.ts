import type pg from 'pg';
import { postgresDialect } from '../sql/dialect.js';
import type { SqlExecutor, SqlRunner, SqlStatement } from '../sql/sql-runner.js';
import { pgError } from './pg-errors.js';

/** Statements on a pg pool. A write has committed (synchronous_commit) when its promise resolves. */
export class PgRunner implements SqlRunner {
  readonly dialect = postgresDialect;
  private readonly executor: SqlExecutor;

  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
    /** Runs before the pool ends (releases the store's session lock). */
    private readonly beforeClose: () => Promise<void> = async () => {},
  ) {
    this.executor = executorOf(pool, where);
  }

  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.executor.query<T>(sql, params);
  }

  exec(script: string): Promise<void> {
    return this.executor.exec(script);
  }

  /** On one pooled client, so other callers' statements stay outside it. */
  batch(statements: readonly SqlStatement[]): Promise<void> {
    return this.transaction(async (tx) => {
      for (const { sql, params } of statements) await tx.query(sql, params);
    });
  }

  async transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => Promise.reject(pgError(err, this.where)));
    const tx = executorOf(client, this.where);
    try {
      await tx.exec('BEGIN');
      const result = await body(tx);
      await tx.exec('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw pgError(err, this.where);
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.beforeClose();
    await this.pool.end();
  }
}

export function executorOf(target: pg.Pool | pg.PoolClient, where: string): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      try {
        return (await target.query(sql, params as unknown[])).rows as T[];
      } catch (err) {
        throw pgError(err, where);
      }
    },
    async exec(script: string): Promise<void> {
      try {
        await target.query(script);
      } catch (err) {
        throw pgError(err, where);
      }
    },
  };
}
