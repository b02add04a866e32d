import type { Database, Statement } from 'better-sqlite3';
import { sqliteDialect } from '../sql/dialect.js';
import type { SqlExecutor, SqlRunner, SqlStatement } from '../sql/sql-runner.js';
import { sqliteError } from './sqlite-errors.js';

/** Prepared statements kept; list queries vary with the filter, so the cache is bounded. */
const MAX_STATEMENTS = 256;

/**
 * Statements on one better-sqlite3 connection. better-sqlite3 is synchronous:
 * a statement has run (and, for a write, committed) when it returns.
 */
export class SqliteRunner implements SqlRunner {
  readonly dialect = sqliteDialect;
  private readonly statements = new Map<string, Statement>();
  private readonly runAll: (statements: readonly SqlStatement[]) => void;

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {
    // Made once: better-sqlite3 builds a wrapper per transaction() call, and every state change is a batch.
    this.runAll = db.transaction((statements: readonly SqlStatement[]) => {
      for (const { sql, params } of statements) this.prepare(sql).run(...params);
    });
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.guard(() => {
      const stmt = this.prepare(sql);
      if (stmt.reader) return stmt.all(...params) as T[];
      stmt.run(...params);
      return [];
    });
  }

  async exec(script: string): Promise<void> {
    this.guard(() => this.db.exec(script));
  }

  /** Synchronous from BEGIN to COMMIT: no other caller's statement can land inside it. */
  async batch(statements: readonly SqlStatement[]): Promise<void> {
    this.guard(() => this.runAll(statements));
  }


  /**
   * Only for work done before the store is handed out (migrations): other
   * callers of this connection would otherwise land inside the transaction.
   */
  async transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.guard(() => this.db.exec('BEGIN IMMEDIATE'));
    try {
      const result = await body(this);
      this.guard(() => this.db.exec('COMMIT'));
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw sqliteError(err, this.file);
    }
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.db.open) this.guard(() => this.db.close());
  }

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      if (this.statements.size >= MAX_STATEMENTS) this.statements.clear();
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }
}
