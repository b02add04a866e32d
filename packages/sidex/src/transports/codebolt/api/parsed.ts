import type { z } from 'zod';
import { parseInput } from '../../../model/validation.js';
import { fail, type FailReply } from '../../replies/envelope.js';

/**
 * Gathers a call's arguments and parses them once, with the dialect's own field names, then
 * answers with `reply`; arguments that do not parse are the call's failure
 * reply (echoing `echo`, as every failure of that call does).
 */
export async function parsed<S extends z.ZodType, R>(
  type: string,
  schema: S,
  args: () => unknown,
  reply: (input: z.output<S>) => Promise<R>,
  echo: Record<string, unknown> = {},
): Promise<R | FailReply> {
  let input: z.output<S>;
  try {
    input = parseInput(schema, args());
  } catch (err) {
    return fail(type, err, echo);
  }
  return reply(input);
}
