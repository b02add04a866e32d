// DAP requests of the RocketRide dialect (docs/rocketride.md):
// `{type: 'request', seq, command, arguments}`, in a text frame or a binary
// one (splitDapFrame).
import { splitDapFrame } from '@sidex/protocol/frames';
import { z } from 'zod';
import { SidexError } from '../../errors.js';
import { valueRefusal } from '../json-text.js';
import { frameText } from '../ws/frame-text.js';

export interface FrameLimits {
  /** The JSON of a frame (a text frame, or the header of a binary one). */
  maxJsonBytes: number;
  /** How deeply its values may nest. */
  maxDepth: number;
}

export const DEFAULT_FRAME_LIMITS: FrameLimits = {
  // A pipeline file (4 MB) and the envelope around it.
  maxJsonBytes: 5 * 1024 * 1024,
  maxDepth: 64,
};

const RequestEnvelope = z.looseObject({
  type: z.literal('request', { error: 'must be "request" (sidex sends responses and events; it takes only requests)' }),
  seq: z
    .number({ error: 'must be a number: the request\'s sequence number, echoed as request_seq' })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .max(Number.MAX_SAFE_INTEGER, 'is too large'),
  command: z.string({ error: 'must be a string such as "execute"' }).min(1, 'must not be empty').max(100, 'is too long'),
  arguments: z.record(z.string(), z.unknown(), { error: 'must be an object of the command\'s arguments' }).nullish(),
  token: z.string({ error: 'must be a string (a task token)' }).max(200, 'is too long').optional(),
});

export interface DapRequest {
  seq: number;
  command: string;
  /** The command's arguments, with the top-level `token` filled in when `arguments.token` is absent. */
  args: Record<string, unknown>;
}

/** What could be read of a bad frame: enough to address the error reply. */
export interface FrameHead {
  seq?: number;
  command?: string;
}

export type ParsedFrame = { ok: true; request: DapRequest } | { ok: false; head: FrameHead; error: SidexError };

const invalid = (message: string, details?: Record<string, unknown>) => new SidexError('INVALID_FRAME', message, details);

export function parseFrame(data: Buffer, isBinary: boolean, limits: FrameLimits = DEFAULT_FRAME_LIMITS): ParsedFrame {
  const { json, data: bytes } = splitDapFrame(data, isBinary);
  if (json.length > limits.maxJsonBytes) {
    const what = bytes === undefined ? 'frame' : 'JSON header of the binary frame';
    return { ok: false, head: {}, error: new SidexError('FRAME_TOO_LARGE', `${what}: ${json.length} bytes exceeds the limit of ${limits.maxJsonBytes} bytes (send item data as bytes after the header)`, { limit: limits.maxJsonBytes }) };
  }
  // Bytes that are not UTF-8 would each become U+FFFD without a word (ws checks a text frame itself).
  const text = frameText(json, isBinary);
  if (text === undefined) return { ok: false, head: {}, error: invalid('the binary frame\'s JSON is not valid UTF-8') };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const where = bytes === undefined ? 'frame' : 'header of the binary frame (the JSON before the first \\n)';
    return { ok: false, head: {}, error: invalid(`${where} is not valid JSON: ${(err as Error).message}`) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, head: {}, error: invalid('frame must be a JSON object {type: "request", seq, command, arguments}') };
  }
  const head = headOf(value as Record<string, unknown>);
  if (tooDeep(value, limits.maxDepth)) return { ok: false, head, error: invalid(`frame: values nest deeper than ${limits.maxDepth} levels`) };
  // 1e400 parses as Infinity, which a pipeline's config or a reply would carry on as null; a
  // __proto__ key would set a prototype where the arguments are copied, and be gone.
  const refused = valueRefusal(text, 'frame');
  if (refused) return { ok: false, head, error: invalid(refused) };
  const parsed = RequestEnvelope.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.') || '(frame)';
    return { ok: false, head, error: invalid(`${field}: ${issue.message}`, { field }) };
  }
  const { seq, command, token } = parsed.data;
  const args: Record<string, unknown> = { ...parsed.data.arguments };
  if (args.token === undefined && token !== undefined) args.token = token;
  if (bytes !== undefined) args.data = bytes;
  return { ok: true, request: { seq, command, args } };
}

function headOf(value: Record<string, unknown>): FrameHead {
  const { seq, command } = value;
  return {
    ...(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? { seq } : {}),
    ...(typeof command === 'string' && command.length <= 100 ? { command } : {}),
  };
}

/** Whether objects and arrays nest deeper than `max` (iteratively: any depth is safe to ask about). */
function tooDeep(root: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (depth > max) return true;
    if (typeof value !== 'object' || value === null) continue;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
