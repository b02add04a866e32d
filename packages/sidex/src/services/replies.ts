// Replies are shaped as in shared/PROTOCOLS.md §1: the fields flat, mirrored
// under `data` (the seed documents read `res.data.status`), and on failure
// `success: false` with `error` (a string, as Codebolt clients expect) and a
// stable `code`.
import type { FailReply, OkReply, Reply } from '@sidex/client';
import { isSidexError } from '../errors.js';

export type { FailReply, OkReply, Reply };

export function ok<T extends object>(type: string, fields: T, message?: string): OkReply<T> & T {
  return { type, success: true, ...fields, ...(message ? { message } : {}), data: fields };
}

export function fail(type: string, err: unknown, fields: Record<string, unknown> = {}): FailReply {
  if (isSidexError(err)) {
    return {
      type,
      success: false,
      error: err.message,
      code: err.code,
      ...(err.details ? { details: err.details } : {}),
      ...fields,
      data: { ...fields, code: err.code, error: err.message },
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  const error = `internal error: ${message}`;
  return { type, success: false, error, code: 'INTERNAL_ERROR', ...fields, data: { ...fields, code: 'INTERNAL_ERROR', error } };
}

/** Runs `body`; any thrown error becomes a failure reply of `type`. */
export async function replying<T extends object>(
  type: string,
  body: () => Promise<Reply<T>>,
  fields: Record<string, unknown> = {},
): Promise<Reply<T>> {
  try {
    return await body();
  } catch (err) {
    return fail(type, err, fields);
  }
}
