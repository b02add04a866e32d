import { recordWriteStatement } from '../postgres/record-write.js';
import type { SqlStatement } from './sql-runner.js';

/** A history event as its columns hold it. */
export interface EventColumns {
  time: number;
  type: string;
  /** JSON text, or null. */
  data: string | null;
}

/** What differs between the SQL stores in the statements they share. */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(n: number): string;
  /** A condition: `haystack` column contains the `needle` placeholder's text. */
  contains(haystack: string, needle: string): string;
  /** Run first in the migration transaction, so that concurrent starts migrate once. */
  readonly migrationLock?: string;
  /**
   * A record write with its history events (and relaxed: see WriteOptions) as
   * one statement, where the database can: one round trip instead of a
   * transaction's several. Without it they run as a batch.
   */
  readonly recordWrite?: (record: SqlStatement, events: readonly EventColumns[], relaxed: boolean) => SqlStatement;
}

export const sqliteDialect: SqlDialect = {
  name: 'sqlite',
  placeholder: () => '?',
  contains: (haystack, needle) => `instr(${haystack}, ${needle}) > 0`,
};

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  placeholder: (n) => `$${n}`,
  contains: (haystack, needle) => `strpos(${haystack}, ${needle}) > 0`,
  // Any constant works; this one reads "sidex" in ASCII.
  migrationLock: 'SELECT pg_advisory_xact_lock(495857051000)',
  recordWrite: recordWriteStatement,
};
