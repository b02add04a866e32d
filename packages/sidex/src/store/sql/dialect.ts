/** What differs between the SQL stores in the statements they share. */
export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres';
  /** The placeholder of the n-th parameter (1-based). */
  placeholder(n: number): string;
  /** A condition: `haystack` column contains the `needle` placeholder's text. */
  contains(haystack: string, needle: string): string;
  /** Run first in the migration transaction, so that concurrent starts migrate once. */
  readonly migrationLock?: string;
  /** Run first in a relaxed write's transaction (WriteOptions), where the database waits for a flush on commit. */
  readonly relaxedCommit?: string;
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
  relaxedCommit: 'SET LOCAL synchronous_commit TO OFF',
};
