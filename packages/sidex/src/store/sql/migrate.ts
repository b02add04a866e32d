// Versioned schema migrations, shared by the SQL stores: each store lists its
// own statements, this applies the missing ones in order, in one transaction,
// at open. A database written by a newer sidex is refused rather than guessed at.
import { SidexError } from '../../errors.js';
import type { SqlRunner } from './sql-runner.js';

export interface Migration {
  version: number;
  name: string;
  /** Statements, no parameters. */
  sql: string;
}

const SCHEMA_TABLE = `CREATE TABLE IF NOT EXISTS sidex_schema (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** Applies what is missing; returns the versions applied now. `where` names the store in errors. */
export async function migrate(db: SqlRunner, migrations: readonly Migration[], where: string): Promise<number[]> {
  checkSequence(migrations);
  const known = migrations[migrations.length - 1]?.version ?? 0;
  return db.transaction(async (tx) => {
    if (db.dialect.migrationLock) await tx.query(db.dialect.migrationLock);
    await tx.exec(SCHEMA_TABLE);
    const rows = await tx.query<{ version: number | string }>('SELECT version FROM sidex_schema');
    const applied = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    if (newest > known) {
      throw new SidexError(
        'STORE_TOO_NEW',
        `${where} has schema version ${newest}, newer than this sidex knows (${known}): upgrade sidex, or use another store`,
        { version: newest, known },
      );
    }
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await tx.exec(m.sql);
      await tx.query(`INSERT INTO sidex_schema (version, name, applied_at) VALUES (${[1, 2, 3].map(db.dialect.placeholder).join(', ')})`, [
        m.version,
        m.name,
        Date.now(),
      ]);
      done.push(m.version);
    }
    return done;
  });
}

/** Versions must run 1, 2, 3...: a gap or a repeat is a mistake in this source, not in the database. */
function checkSequence(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration "${m.name}" has version ${m.version}, expected ${i + 1}`);
  });
}
