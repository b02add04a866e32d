// The fields of a command start and of a stdin write, under the names every
// dialect gives them (Codebolt's startSideExecution with `command` and
// writeSideExecutionStdin, REST's bodies): each dialect composes its request
// schemas of them at its edge. Bytes come as UTF-8 text or base64 and parse
// into a Buffer, so bad base64 is refused under its own field name.
import { z } from 'zod';
import { MAX_ARGS } from '../engine/command/command-spec.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const Encoding = z.enum(['utf8', 'base64'], { error: 'must be "utf8" or "base64"' });

/** Bytes as text: `data` in UTF-8 (the default), or base64 for anything else. */
export const BytesFields = {
  data: z.string({ error: 'must be a string' }).optional(),
  encoding: Encoding.optional(),
};

type WireBytes = { data?: string | undefined; encoding?: 'utf8' | 'base64' | undefined };

/** Refuses base64 `data` that is not base64 rather than half-decoding it. */
export function checkBase64(value: unknown, ctx: z.RefinementCtx): void {
  const bytes = value as WireBytes;
  if (typeof value !== 'object' || bytes.encoding !== 'base64' || bytes.data === undefined || BASE64.test(bytes.data)) return;
  ctx.addIssue({ code: 'custom', path: ['data'], message: 'is not base64 (A-Z, a-z, 0-9, +, /, padded with = to a multiple of 4)' });
}

/** A stdin write with neither data nor close would do nothing, and answer as if it had. */
export function checkStdinWrite(value: unknown, ctx: z.RefinementCtx): void {
  checkBase64(value, ctx);
  const write = value as WireBytes & { close?: boolean };
  if (write.data === undefined && write.close !== true) ctx.addIssue({ code: 'custom', path: ['data'], message: 'is required unless close is true: give data to write, close: true, or both' });
}

/** The bytes of `data` in its encoding (none: no bytes). */
export function bytesOf({ data, encoding }: WireBytes): Buffer {
  return data === undefined ? Buffer.alloc(0) : Buffer.from(data, encoding === 'base64' ? 'base64' : 'utf8');
}

/** A program and its arguments, executed directly. */
export const CommandArgv = z
  .array(z.string({ error: 'must be a string' }).refine((arg) => !arg.includes('\0'), 'must not contain a NUL character'), {
    error: 'must be an array of strings: the program, then its arguments',
  })
  .min(1, 'must name a program')
  .max(MAX_ARGS, `must have at most ${MAX_ARGS} elements`)
  .refine((argv) => argv[0] !== '', { path: [0], message: 'the program must not be empty' });

/** Its working directory: absolute, or relative to the project directory; inside the allowed roots. */
export const CommandCwd = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(4096, 'is too long')
  .refine((cwd) => !cwd.includes('\0'), 'must not hold a NUL character');

/**
 * Environment variables as a program receives them: the kernel's environment
 * is NUL-terminated `NAME=value` strings, so a name with "=" or NUL, or a
 * value with NUL, would arrive changed (cut, or split into another name).
 */
export const EnvVars = z
  .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of strings' })
  .superRefine((env, ctx) => {
    for (const [name, value] of Object.entries(env)) {
      if (name === '' || /[=\0]/.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is not a variable name: it must not be empty, nor hold "=" or NUL' });
      else if (value.includes('\0')) ctx.addIssue({ code: 'custom', path: [name], message: 'must not hold a NUL character' });
    }
  });

/** Extra environment variables of the program (on top of what options.env gives). */
export const CommandEnv = EnvVars;

/**
 * Its stdin at start: text, or bytes with `open` to write more while it runs
 * (else it is closed after them). Parsed into the bytes and whether it stays open.
 */
export const CommandStdin = z
  .union([z.string(), z.object({ ...BytesFields, open: z.boolean({ error: 'must be a boolean' }).optional() }).strict()], {
    error: 'must be a string, or { data?, encoding?: "utf8" | "base64", open?: boolean }',
  })
  .superRefine(checkBase64)
  .transform((stdin) => (typeof stdin === 'string' ? { data: Buffer.from(stdin, 'utf8'), open: false } : { data: bytesOf(stdin), open: stdin.open === true }));

/** A stdin write's fields besides the execution's id: the bytes, and whether stdin ends after them. */
export const StdinWriteFields = {
  ...BytesFields,
  close: z.boolean({ error: 'must be a boolean' }).optional(),
};

/** What a stdin write's fields parse into (with the id wherever its dialect carries it). */
export const stdinWrite = <T extends WireBytes & { close?: boolean | undefined }>({ data, encoding, close, ...rest }: T) => ({
  ...rest,
  data: bytesOf({ data, encoding }),
  close: close === true,
});
