import type { SqlDialect } from './dialect.js';

/** Runs statements on one database; errors come out as SidexErrors that name the store. */
export interface SqlExecutor {
  /** One statement with parameters; the rows it returns (none for a write without RETURNING). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** A script of statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** One statement with its parameters. */
export interface SqlStatement {
  sql: string;
  params: readonly unknown[];
}

export interface SqlRunner extends SqlExecutor {
  readonly dialect: SqlDialect;
  /** Runs the statements in order in one transaction, safe beside other callers: all of them are committed, or none. */
  batch(statements: readonly SqlStatement[]): Promise<void>;
  /** Runs `body` in one transaction: all of it is committed, or none. */
  transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Collects parameter values and hands out the dialect's placeholders for them, in order. */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(private readonly dialect: SqlDialect) {}

  add(value: unknown): string {
    this.values.push(value);
    return this.dialect.placeholder(this.values.length);
  }

  list(values: readonly unknown[]): string {
    return values.map((v) => this.add(v)).join(', ');
  }
}
