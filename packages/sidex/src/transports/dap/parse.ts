import type { z } from 'zod';
import { codeByField, parseInput } from '../../model/validation.js';

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

const CODES = { ...codeByField, ...CODE_OF_FIELD };

/** parseInput, with the pipeline dialect's codes for its own fields. */
export function parseArgs<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return parseInput(schema, input, CODES);
}

/** Calls that need only a token also take it bare: `terminate(token)`. */
export const withToken = (args: unknown): unknown => (typeof args === 'string' ? { token: args } : args);
