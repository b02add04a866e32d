import { z } from 'zod';
import { SidexError } from '../errors.js';

/** Error code for a bad value, by the field it came in. */
const codeByField: Record<string, string> = {
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
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(input)',
    message: issue.message,
  }));
  const first = issues[0]!;
  const code = codeByField[first.field.split('.')[0] ?? ''] ?? 'INVALID_ARGUMENT';
  throw new SidexError(code, issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
}

/** Throws PARAMS_TOO_LARGE / INVALID_PARAMS unless params survive JSON within the size limit. */
export function checkParams(params: unknown, maxBytes: number): void {
  let json: string | undefined;
  try {
    json = JSON.stringify(params);
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
