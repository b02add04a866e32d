// What a Codebolt-built block sends on its WebSocket (docs/codebolt.md):
// its `actionBlockComplete`, and requests of the Codebolt APIs its SDK
// offers (`{type, action?, ...fields, requestId}`), of which sidex serves none
// on this connection.
import { z } from 'zod';
import { SidexError } from '../../errors.js';
import { replyTypeOf } from './frames.js';

/** Types of the dialect sidex serves to API-key clients (not to a block's execution token). */
const SIDEX_TYPES = new Set(['sideExecution', 'actionBlock', 'capability']);

/** `{type: 'actionBlockComplete', sideExecutionId, result? | error?}`; the SDK adds a requestId. */
export const ActionBlockComplete = z.looseObject({
  type: z.literal('actionBlockComplete'),
  sideExecutionId: z.string({ error: 'must be a string' }).max(200, 'is too long').optional(),
  requestId: z.union([z.string().max(200), z.number()]).optional(),
});

/** What could be read of a block's frame: enough to address a reply and name the API it asked for. */
export interface BlockFrameHead {
  type?: string;
  action?: string;
  requestId?: string | number;
}

export function headOf(value: unknown): BlockFrameHead {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const { type, action, requestId } = value as Record<string, unknown>;
  const name = (v: unknown) => (typeof v === 'string' && /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/.test(v) ? v : undefined);
  const t = name(type);
  const a = name(action);
  return {
    ...(t ? { type: t } : {}),
    ...(a ? { action: a } : {}),
    ...(typeof requestId === 'string' || typeof requestId === 'number' ? { requestId } : {}),
  };
}

/** The reply type Codebolt's SDK would wait for: `<action>Response`, else `<type>Response`. */
export const blockReplyType = (head: BlockFrameHead): string => replyTypeOf({ action: head.action ?? head.type });

/**
 * The refusal of a request a block made: it names the API. An API that sidex
 * serves to API-key clients is out of the execution token's scope; any other
 * is one sidex does not provide.
 */
export function refusalOf(head: BlockFrameHead): SidexError {
  if (!head.type) return new SidexError('INVALID_FRAME', 'type: a frame must be a JSON object with a string "type" (and for requests an "action")', { field: 'type' });
  const api = head.action ? `${head.type}.${head.action}` : head.type;
  if (SIDEX_TYPES.has(head.type)) {
    return new SidexError(
      'NOT_IN_SCOPE',
      `Codebolt API "${api}": a Codebolt-built block's execution token only reports its own execution's end (actionBlockComplete); other requests need an API key`,
      { api },
    );
  }
  return new SidexError('UNSUPPORTED_API', `Codebolt API "${api}" is not provided by sidex: a Codebolt-built block can report its end (actionBlockComplete) and nothing more`, {
    api,
  });
}
