import { isSidexError, SidexError } from '../../errors.js';

/**
 * A SQLite failure as an error the operator can act on: which file, what is
 * wrong with it, and what to do. Errors that are already SidexErrors (a bad
 * filter, a schema too new) pass through unchanged.
 */
export function sqliteError(err: unknown, file: string): SidexError {
  if (isSidexError(err)) return err;
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  const message = err instanceof Error ? err.message : String(err);
  const details = { file, sqliteCode: code || undefined };
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new SidexError(
      'STORE_CORRUPT',
      `the database ${file} is damaged (${message}). Stop sidex, move that file and its -wal file aside ` +
        '(or restore them from a backup) and start again: a new, empty database is created in its place.',
      details,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new SidexError(
      'STORE_LOCKED',
      `the database ${file} is locked by another process (${message}): another sidex server is probably using ` +
        'this data directory. Stop it, or give this one another data directory.',
      details,
    );
  }
  if (code === 'SQLITE_FULL') {
    return new SidexError('STORE_FULL', `the disk holding ${file} is full (${message}): free space, or prune history (retention).`, details);
  }
  // SQLite's own "cannot open or write", and the file system's (ENOTDIR, EACCES... from creating the directory).
  const cannotUse = ['SQLITE_CANTOPEN', 'SQLITE_PERM', 'SQLITE_READONLY', 'SQLITE_IOERR'].some((c) => code.startsWith(c)) || /^E[A-Z]+$/.test(code);
  if (cannotUse) {
    return new SidexError(
      'STORE_UNAVAILABLE',
      `cannot use the database ${file} (${message}): check that the data directory exists and is writable.`,
      details,
    );
  }
  if (message.includes('database connection is not open')) {
    return new SidexError('STORE_CLOSED', `the database ${file} is closed: sidex is shutting down`, details);
  }
  return new SidexError('STORE_ERROR', `the database ${file} failed: ${message}`, details);
}
