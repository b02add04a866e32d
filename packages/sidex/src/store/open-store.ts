import os from 'node:os';
import path from 'node:path';
import { SidexError } from '../errors.js';
import type { ExecutionStore } from './execution-store.js';
import { MemoryStore } from './memory-store.js';
import { openPostgresStore } from './postgres/open-postgres.js';
import { openSqliteStore } from './sqlite/open-sqlite.js';

/** The name of the SQLite file in a data directory. */
export const SQLITE_FILE = 'sidex.db';

/**
 * The store named by a `--store` spec:
 * - none, or `sqlite:`: SQLite at `<dataDir>/sidex.db` (the embedded default);
 * - `sqlite:<file>`: SQLite in that file (relative to the working directory);
 * - `postgres://...` or `postgresql://...`: PostgreSQL, shared by several servers;
 * - `memory:`: nothing kept past the process (one-shot runs, tests).
 */
export async function openStore(spec: string | undefined, dataDir: string): Promise<ExecutionStore> {
  const dir = path.resolve(dataDir);
  if (spec === undefined || spec === 'sqlite:') return openSqliteStore(path.join(dir, SQLITE_FILE));
  if (typeof spec !== 'string') throw badSpec(String(spec));
  if (spec === 'memory:') return new MemoryStore();
  if (spec.startsWith('sqlite:')) return openSqliteStore(path.resolve(spec.slice('sqlite:'.length)));
  if (/^postgres(ql)?:\/\//.test(spec)) return openPostgresStore(spec, { owner: `${os.hostname()}:${dir}` });
  throw badSpec(spec);
}

function badSpec(spec: string): SidexError {
  return new SidexError(
    'INVALID_CONFIG',
    `--store "${spec}" is not a store sidex knows: use sqlite: (the default, in the data directory), sqlite:<file>, ` +
      'postgres://user:password@host:port/database, or memory:',
    { field: 'store' },
  );
}
