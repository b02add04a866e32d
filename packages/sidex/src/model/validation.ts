import { z } from 'zod';
import { SidexError } from '../errors.js';

/** Error code for a bad value, by the field it came in. */
export const codeByField: Record<string, string> = {
  code: 'INVALID_CODE',
  inlineCode: 'INVALID_CODE',
  params: 'INVALID_PARAMS',
  timeout: 'INVALID_TIMEOUT',
  timeoutMs: 'INVALID_TIMEOUT',
  sideExecutionId: 'INVALID_ID',
  executionId: 'INVALID_ID',
  id: 'INVALID_ID',
};

/**
 * Parses `input` with `schema`, or throws a SidexError that names the field,
 * says what is wrong with it, and carries a code specific to that field.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, codes: Record<string, string> = codeByField): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  // zod says `Unrecognized key: "x"`, and the field is named already.
  const issues = parsed.error.issues.map((issue) => ({ field: fieldOf(issue), message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message }));
  const first = issues[0]!;
  // The code is that of the field the issue is in. An unknown key is not the known field it may be
  // named like (a top-level `timeoutMs` where the REST API takes `timeout`): it takes its parent's.
  const top = topField(parsed.error.issues[0]!);
  // Own keys only: an unknown field named `constructor` or `__proto__` must not find Object's.
  const code = Object.hasOwn(codes, top) ? codes[top]! : 'INVALID_ARGUMENT';
  throw new SidexError(code, issues.map((i) => `${i.field}: ${i.message}`).join('; '), { field: first.field, issues });
}

/** The top-level field that holds what an issue is about ('' for an unknown key at the top). */
function topField(issue: z.core.$ZodIssue): string {
  return issue.path.length > 0 ? String(issue.path[0]) : '';
}

/** The field an issue is about, as the caller named it (`options.env`, `command[0]`); an unknown key is named itself. */
function fieldOf(issue: z.core.$ZodIssue): string {
  const path = issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...issue.path, issue.keys[0]!] : issue.path;
  return path.reduce<string>((field, key) => (typeof key === 'number' ? `${field}[${key}]` : field ? `${field}.${String(key)}` : String(key)), '') || '(input)';
}

/**
 * Throws PARAMS_TOO_LARGE / INVALID_PARAMS unless params survive JSON intact
 * within the size limit. Functions and symbols, which JSON would silently
 * drop, are refused rather than lost.
 */
export function checkParams(params: unknown, maxBytes: number): void {
  let json: string | undefined;
  try {
    json = JSON.stringify(params, function (key, value: unknown) {
      if (typeof value === 'function' || typeof value === 'symbol') {
        throw new TypeError(`value at "${key}" is a ${typeof value}`);
      }
      return value;
    });
  } catch (err) {
    throw new SidexError('INVALID_PARAMS', `params: not JSON-serializable: ${(err as Error).message}`, { field: 'params' });
  }
  if (json !== undefined && Buffer.byteLength(json) > maxBytes) {
    throw new SidexError('PARAMS_TOO_LARGE', `params: ${Buffer.byteLength(json)} bytes exceeds the limit of ${maxBytes} bytes`, {
      field: 'params',
      limit: maxBytes,
    });
  }
}
