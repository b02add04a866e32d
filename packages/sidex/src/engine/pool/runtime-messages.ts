// What a runtime sends over IPC, checked before the engine acts on it: the
// running code shares the runtime's channel (process.send) and may send
// anything. A message that is not one of the contract's, or whose JSON text is
// not JSON, is dropped; a malformed error or CPU figure is made harmless; a
// value over MAX_VALUE_BYTES (which the runtime refuses itself) is dropped, or
// fails the execution when it is the result.
import { MAX_VALUE_DEPTH, nestsDeeperThan, tooDeep } from '../../runtime/json-depth.js';
import { MAX_VALUE_BYTES, type CodeboltIpcMessage, type ErrorInfo, type RuntimeMessage } from '../../runtime/messages.js';
import { tooLarge } from '../../runtime/serialize.js';
import { bounded } from '../reported-error.js';

const MAX_CODE_CHARS = 100;

/** A runtime message as the engine acts on it: checkpoint, progress and message values parsed once, here. */
export type CheckedMessage =
  | Exclude<RuntimeMessage, { type: 'checkpoint' | 'progress' | 'message' | 'result' | 'stopped' | 'partial' }>
  | { type: 'progress' | 'message' | 'partial'; value: unknown }
  /** `bytes`: of its JSON text. */
  | { type: 'checkpoint'; value: unknown; bytes: number }
  /** `value` is parsed once here; absent when the code gave none (or, stopped, one too large to keep). */
  | { type: 'result' | 'stopped'; value?: unknown; cpuMicros: number }
  /** Not a message: a line on the channel grew past its bound (runtime-channel.ts). */
  | { type: 'oversize'; bytes: number }
  /** Not a message: a line on the channel nested deeper than any message may (runtime-channel.ts). */
  | { type: 'tooDeep' }
  | CodeboltIpcMessage;

const NOT_JSON = Symbol('not JSON');
/** Too deep for what serializes it next (json-depth.ts): the runtime refuses such values itself. */
const TOO_DEEP = Symbol('too deep');

function parsed(json: unknown): unknown {
  if (typeof json !== 'string') return NOT_JSON;
  if (nestsDeeperThan(json, MAX_VALUE_DEPTH)) return TOO_DEEP;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return NOT_JSON;
  }
}

const oversize = (json: unknown) => typeof json === 'string' && json.length > MAX_VALUE_BYTES / 4 && Buffer.byteLength(json) > MAX_VALUE_BYTES;

const cpu = (micros: unknown) => (typeof micros === 'number' && Number.isFinite(micros) && micros >= 0 ? micros : 0);

function error(value: unknown): ErrorInfo {
  const e = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    code: typeof e.code === 'string' ? bounded(e.code, MAX_CODE_CHARS) : 'INVALID_ERROR',
    message: typeof e.message === 'string' ? bounded(e.message) : 'the runtime reported an error without a message',
    ...(typeof e.stack === 'string' ? { stack: bounded(e.stack) } : {}),
    ...(typeof e.line === 'number' ? { line: e.line } : {}),
    ...(typeof e.column === 'number' ? { column: e.column } : {}),
    ...(typeof e.path === 'string' ? { path: bounded(e.path) } : {}),
  };
}

export function checkRuntimeMessage(raw: unknown): CheckedMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'warmed':
    case 'started':
      return { type: m.type };
    case 'checkpoint':
    case 'progress':
    case 'partial':
    case 'message': {
      // ctx.send (the pipelines' items) is bounded by the channel's line, not this one.
      if (m.type !== 'message' && oversize(m.json)) return undefined;
      const value = parsed(m.json);
      if (value === NOT_JSON || value === TOO_DEEP) return undefined;
      return m.type === 'checkpoint' ? { type: m.type, value, bytes: Buffer.byteLength(m.json as string) } : { type: m.type, value };
    }
    case 'result':
    case 'stopped': {
      const value = m.json === undefined ? undefined : parsed(m.json);
      if (value === NOT_JSON) return undefined;
      const tooBig = oversize(m.json);
      if (m.type === 'result' && (tooBig || value === TOO_DEEP)) {
        const error = tooBig ? { code: 'VALUE_TOO_LARGE', message: tooLarge('result', Buffer.byteLength(m.json as string)) } : { code: 'RESULT_NOT_SERIALIZABLE', message: tooDeep('the result') };
        return { type: 'failed', error, cpuMicros: cpu(m.cpuMicros) };
      }
      // A stop's partial result too large or too deep to keep: stopped, without it.
      const kept = m.json !== undefined && !tooBig && value !== TOO_DEEP;
      return { type: m.type, ...(kept ? { value } : {}), cpuMicros: cpu(m.cpuMicros) };
    }
    case 'failed':
      return { type: 'failed', error: error(m.error), cpuMicros: cpu(m.cpuMicros) };
    case 'startFailed':
      return { type: 'startFailed', error: error(m.error) };
    case 'exited':
      return {
        type: 'exited',
        code: typeof m.code === 'number' && Number.isInteger(m.code) ? m.code : null,
        signal: typeof m.signal === 'string' ? m.signal : null,
        cpuMicros: cpu(m.cpuMicros),
      };
    case 'stdinWritten':
      return typeof m.bytes === 'number' && Number.isSafeInteger(m.bytes) && m.bytes >= 0 ? { type: 'stdinWritten', bytes: m.bytes } : undefined;
    case 'sideExecutionComplete': {
      // The line's depth is bounded (runtime-channel.ts): this cannot overflow.
      const json = JSON.stringify(m.result ?? null);
      if (oversize(json)) return { type: 'sideExecutionError', error: { message: tooLarge('result', Buffer.byteLength(json)) } };
      return { type: 'sideExecutionComplete', result: m.result };
    }
    case 'sideExecutionError':
      return { type: 'sideExecutionError', error: m.error };
    default:
      return undefined;
  }
}
