import { z } from 'zod';
import { SidexError } from '../../errors.js';
import { depthRefusal, valueRefusal } from '../json-text.js';

/** The envelope of every Codebolt request: `{type, action, ...fields, requestId}` (docs/codebolt.md). */
export const FrameEnvelope = z.looseObject({
  type: z.string({ error: 'must be a string such as "sideExecution"' }).min(1, 'must not be empty').max(100, 'is too long'),
  action: z.string({ error: 'must be a string such as "getSideExecutionStatus"' }).min(1, 'must not be empty').max(100, 'is too long'),
  requestId: z.union([z.string().max(200, 'is too long'), z.number()], { error: 'must be a string or a number' }).optional(),
});

export type Frame = z.output<typeof FrameEnvelope>;

/** What could be read of a frame, even a bad one: enough to address the error reply. */
export interface FrameHead {
  type?: string;
  action?: string;
  requestId?: string | number;
}

export type ParsedFrame = { ok: true; frame: Frame } | { ok: false; head: FrameHead; error: SidexError };

/**
 * A frame's JSON (a client's, or a Codebolt-built block's), or why it cannot
 * be read: not UTF-8, nested too deep (checked before parsing, json-text.ts),
 * not JSON. What it holds is checked once its head is known (frameValueRefusal),
 * so that the refusal can answer its requestId.
 */
export function readFrameJson(raw: string | undefined): { ok: true; value: unknown; text: string } | { ok: false; error: SidexError } {
  if (raw === undefined) return { ok: false, error: new SidexError('INVALID_FRAME', 'frame is not valid UTF-8') };
  const tooDeep = depthRefusal(raw, 'frame');
  if (tooDeep) return { ok: false, error: new SidexError('INVALID_FRAME', tooDeep) };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown, text: raw };
  } catch (err) {
    return { ok: false, error: new SidexError('INVALID_FRAME', `frame is not valid JSON: ${(err as Error).message}`) };
  }
}

/**
 * What a frame holds that would reach its handler changed (json-text.ts): a
 * number past a double, which becomes null; in a client's request, a key
 * `__proto__`, which is lost where its fields are copied. (A block's
 * completion is stored as the JSON it is, and keeps such keys.)
 */
export function frameValueRefusal(text: string, { prototypeKeys }: { prototypeKeys: boolean }): SidexError | undefined {
  const refused = valueRefusal(text, 'frame', { prototypeKeys });
  return refused ? new SidexError('INVALID_FRAME', refused) : undefined;
}

export function parseFrame(raw: string | undefined): ParsedFrame {
  const read = readFrameJson(raw);
  if (!read.ok) return { ok: false, head: {}, error: read.error };
  const value = read.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, head: {}, error: new SidexError('INVALID_FRAME', 'frame must be a JSON object {type, action, ...fields, requestId}') };
  }
  const refused = frameValueRefusal(read.text, { prototypeKeys: true });
  if (refused) return { ok: false, head: headOf(value as Record<string, unknown>), error: refused };
  const parsed = FrameEnvelope.safeParse(value);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join('.') || '(frame)';
  return { ok: false, head: headOf(value as Record<string, unknown>), error: new SidexError('INVALID_FRAME', `${field}: ${issue.message}`, { field }) };
}

function headOf(value: Record<string, unknown>): FrameHead {
  const { type, action, requestId } = value;
  return {
    ...(typeof type === 'string' ? { type } : {}),
    ...(typeof action === 'string' ? { action } : {}),
    ...(typeof requestId === 'string' || typeof requestId === 'number' ? { requestId } : {}),
  };
}

/** The reply type of a request: `<action>Response` as Codebolt names it. */
export function replyTypeOf(head: FrameHead): string {
  if (head.action && /^[A-Za-z][A-Za-z0-9_]{0,99}$/.test(head.action)) return `${head.action}Response`;
  return 'errorResponse';
}
