import { isSidexError, SidexError } from '../../errors.js';

// Node's socket errors and PostgreSQL's SQLSTATE classes that mean "the store
// cannot be reached or will not let us in", as opposed to a failed statement.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EPIPE', '3D000']);
const UNREACHABLE_CLASSES = ['08', '28', '57P'];

/** A PostgreSQL failure as an error naming the store (password hidden) and what to do. */
export function pgError(err: unknown, where: string): SidexError {
  if (isSidexError(err)) return err;
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  const message = err instanceof Error ? err.message : String(err);
  const details = { store: where, pgCode: code || undefined };
  if (UNREACHABLE.has(code) || UNREACHABLE_CLASSES.some((c) => code.startsWith(c)) || /timeout|Connection terminated/i.test(message)) {
    return new SidexError(
      'STORE_UNAVAILABLE',
      `cannot use the PostgreSQL store ${where} (${message || code}): check that the server runs and that the URL ` +
        '(host, port, database, user, password) is right.',
      details,
    );
  }
  if (code === '55P03' || code === '40P01') {
    return new SidexError('STORE_LOCKED', `the PostgreSQL store ${where} is locked (${message})`, details);
  }
  if (code === 'XX001' || code === 'XX002') {
    return new SidexError('STORE_CORRUPT', `the PostgreSQL store ${where} reports damaged data (${message}): see its server log.`, details);
  }
  if (code === '53100') {
    return new SidexError('STORE_FULL', `the PostgreSQL store ${where} is out of disk space (${message})`, details);
  }
  return new SidexError('STORE_ERROR', `the PostgreSQL store ${where} failed: ${message}`, details);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}
