// The Codebolt-shaped envelope, which the Codebolt dialect (WebSocket and
// in process) and REST answer in: the fields flat, mirrored under `data` (the
// seed documents read `res.data.status`), and on failure `success: false`
// with `error` (a string, as Codebolt clients expect) and a stable `code`.
import type { FailReply, OkReply, Reply } from '@sidex/protocol';
import { errorParts } from '../../errors.js';

export type { FailReply, OkReply, Reply };

export function ok<T extends object>(type: string, fields: T, message?: string): OkReply<T> & T {
  return { type, success: true, ...fields, ...(message ? { message } : {}), data: fields };
}

export function fail(type: string, err: unknown, fields: Record<string, unknown> = {}): FailReply {
  const { code, message: error, details } = errorParts(err);
  return {
    type,
    success: false,
    error,
    code,
    ...(details ? { details } : {}),
    ...fields,
    data: { ...fields, code, error },
  };
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
