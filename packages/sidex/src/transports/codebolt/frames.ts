import { z } from 'zod';
import { SidexError } from '../../errors.js';
import { jsonTextRefusal } from '../json-text.js';

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

/** A frame's JSON (a client's, or a Codebolt-built block's), or why it is refused (json-text.ts). */
export function readFrameJson(raw: string | undefined): { ok: true; value: unknown } | { ok: false; error: SidexError } {
  if (raw === undefined) return { ok: false, error: new SidexError('INVALID_FRAME', 'frame is not valid UTF-8') };
  const refused = jsonTextRefusal(raw, 'frame');
  if (refused) return { ok: false, error: new SidexError('INVALID_FRAME', refused) };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (err) {
    return { ok: false, error: new SidexError('INVALID_FRAME', `frame is not valid JSON: ${(err as Error).message}`) };
  }
}

export function parseFrame(raw: string | undefined): ParsedFrame {
  const read = readFrameJson(raw);
  if (!read.ok) return { ok: false, head: {}, error: read.error };
  const value = read.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, head: {}, error: new SidexError('INVALID_FRAME', 'frame must be a JSON object {type, action, ...fields, requestId}') };
  }
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
