// The wire fields of a command start and of a stdin write, as every transport
// takes them (Codebolt's startSideExecution with `command`, REST, the SDK).
import { z } from 'zod';
import { SidexError } from '../errors.js';
import { MAX_ARGS } from '../engine/command/command-spec.js';
import { ExecutionId, StartOptions, TimeoutMs } from './schemas.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Bytes as text: UTF-8 (the default) or base64 for anything else. */
const Bytes = z.object({
  data: z.string({ error: 'must be a string' }).optional(),
  encoding: z.enum(['utf8', 'base64'], { error: 'must be "utf8" or "base64"' }).optional(),
});

export const StdinField = z.union(
  [
    z.string(),
    Bytes.extend({
      /** More may be written while it runs (writeSideExecutionStdin); else stdin is closed after `data`. */
      open: z.boolean({ error: 'must be a boolean' }).optional(),
    }).strict(),
  ],
  { error: 'must be a string, or { data?, encoding?: "utf8" | "base64", open?: boolean }' },
);

export const StartCommandInput = z.object({
  command: z
    .array(z.string({ error: 'must be a string' }), { error: 'must be an array of strings: the program, then its arguments' })
    .min(1, 'must name a program')
    .max(MAX_ARGS, `must have at most ${MAX_ARGS} elements`),
  cwd: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(4096, 'is too long').nullish(),
  env: z.record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of strings' }).nullish(),
  stdin: StdinField.nullish(),
  timeout: TimeoutMs.nullish(),
  options: StartOptions.optional(),
});

export const WriteStdinInput = Bytes.extend({
  sideExecutionId: ExecutionId,
  /** Ends the program's stdin after `data`. */
  close: z.boolean({ error: 'must be a boolean' }).optional(),
});

export type StartCommandFields = z.input<typeof StartCommandInput>;

/** The bytes of `data` in its encoding; bad base64 is refused rather than half-decoded. */
export function decodeBytes(data: string | undefined, encoding: 'utf8' | 'base64' | undefined, field: string): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  if (encoding !== 'base64') return Buffer.from(data, 'utf8');
  if (!BASE64.test(data)) {
    throw new SidexError('INVALID_ARGUMENT', `${field}: is not base64 (A-Z, a-z, 0-9, +, /, padded with = to a multiple of 4)`, { field });
  }
  return Buffer.from(data, 'base64');
}
