import type { z } from 'zod';
import { isSidexError, SidexError } from '../../errors.js';
import { parseInput } from '../../services/validation.js';

/** Error codes of the pipeline calls' fields, where a field has one of its own. */
const CODE_OF_FIELD: Record<string, string> = {
  token: 'INVALID_TOKEN',
  pipe_id: 'INVALID_PIPE_ID',
  pipeline: 'INVALID_PIPELINE',
  threads: 'INVALID_THREADS',
  ttl: 'INVALID_TTL',
  drainMs: 'INVALID_DRAIN',
  data: 'INVALID_DATA',
  types: 'INVALID_EVENT_TYPES',
};

/** parseInput, with the pipeline dialect's codes for its own fields. */
export function parseArgs<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  try {
    return parseInput(schema, input);
  } catch (err) {
    if (!isSidexError(err) || err.code !== 'INVALID_ARGUMENT') throw err;
    const issues = err.details?.issues as Array<{ field: string }> | undefined;
    const code = CODE_OF_FIELD[issues?.[0]?.field.split('.')[0] ?? ''];
    throw code ? new SidexError(code, err.message, err.details) : err;
  }
}

/** Calls that need only a token also take it bare: `terminate(token)`. */
export const withToken = (args: unknown): unknown => (typeof args === 'string' ? { token: args } : args);
