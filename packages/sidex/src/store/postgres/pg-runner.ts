import type pg from 'pg';
import { postgresDialect } from '../sql/dialect.js';
import type { SqlExecutor, SqlRunner, SqlStatement } from '../sql/sql-runner.js';
import { pgError } from './pg-errors.js';

/** Statements on a pg pool. A write has committed (synchronous_commit) when its promise resolves. */
export class PgRunner implements SqlRunner {
  readonly dialect = postgresDialect;
  private readonly executor: SqlExecutor;
  private readonly names = new StatementNames();

  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
    /** Runs before the pool ends (releases the store's session lock). */
    private readonly beforeClose: () => Promise<void> = async () => {},
  ) {
    this.executor = executorOf(pool, where, this.names);
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
    const tx = executorOf(client, this.where, this.names);
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

/**
 * Names for statements, so that each connection parses and plans one once
 * (a named prepared statement) rather than on every call: a fifth to a
 * quarter of a record write's time here. Up to MAX_PREPARED texts per store;
 * beyond them statements run unnamed, as the store's texts are few (list
 * filters make the most) and PostgreSQL keeps a prepared one per connection
 * until it closes.
 */
const MAX_PREPARED = 256;

class StatementNames {
  private readonly names = new Map<string, string>();

  of(sql: string): string | undefined {
    let name = this.names.get(sql);
    if (!name && this.names.size < MAX_PREPARED) this.names.set(sql, (name = `sidex_${this.names.size + 1}`));
    return name;
  }
}

function executorOf(target: pg.Pool | pg.PoolClient, where: string, names: StatementNames): SqlExecutor {
  return {
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      try {
        const name = names.of(sql);
        return (await target.query({ text: sql, values: params as unknown[], ...(name ? { name } : {}) })).rows as T[];
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
