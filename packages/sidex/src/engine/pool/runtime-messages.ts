// What a runtime sends over IPC, checked before the engine acts on it: the
// running code shares the runtime's channel (process.send) and may send
// anything. A message that is not one of the contract's, or whose JSON text is
// not JSON, is dropped; a malformed error or CPU figure is made harmless; a
// value over MAX_VALUE_BYTES (which the runtime refuses itself) is dropped, or
// fails the execution when it is the result.
import { MAX_VALUE_BYTES, type CodeboltIpcMessage, type ErrorInfo, type RuntimeMessage } from '../../runtime/messages.js';
import { tooLarge } from '../../runtime/serialize.js';

/** A runtime message as the engine acts on it: checkpoint, progress and message values parsed once, here. */
export type CheckedMessage =
  | Exclude<RuntimeMessage, { type: 'checkpoint' | 'progress' | 'message' | 'result' | 'stopped' }>
  | { type: 'progress' | 'message'; value: unknown }
  /** `bytes`: of its JSON text. */
  | { type: 'checkpoint'; value: unknown; bytes: number }
  /** `value` is parsed once here; absent when the code gave none (or, stopped, one too large to keep). */
  | { type: 'result' | 'stopped'; value?: unknown; cpuMicros: number }
  /** Not a message: a line on the channel grew past its bound (runtime-channel.ts). */
  | { type: 'oversize'; bytes: number }
  | CodeboltIpcMessage;

const NOT_JSON = Symbol('not JSON');

function parsed(json: unknown): unknown {
  if (typeof json !== 'string') return NOT_JSON;
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
    code: typeof e.code === 'string' ? e.code : 'INVALID_ERROR',
    message: typeof e.message === 'string' ? e.message : 'the runtime reported an error without a message',
    ...(typeof e.stack === 'string' ? { stack: e.stack } : {}),
    ...(typeof e.line === 'number' ? { line: e.line } : {}),
    ...(typeof e.column === 'number' ? { column: e.column } : {}),
    ...(typeof e.path === 'string' ? { path: e.path } : {}),
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
    case 'message': {
      // ctx.send (the pipelines' items) is bounded by the channel's line, not this one.
      if (m.type !== 'message' && oversize(m.json)) return undefined;
      const value = parsed(m.json);
      if (value === NOT_JSON) return undefined;
      return m.type === 'checkpoint' ? { type: m.type, value, bytes: Buffer.byteLength(m.json as string) } : { type: m.type, value };
    }
    case 'result':
    case 'stopped': {
      const value = m.json === undefined ? undefined : parsed(m.json);
      if (value === NOT_JSON) return undefined;
      const tooBig = oversize(m.json);
      if (m.type === 'result' && tooBig) {
        return { type: 'failed', error: { code: 'VALUE_TOO_LARGE', message: tooLarge('result', Buffer.byteLength(m.json as string)) }, cpuMicros: cpu(m.cpuMicros) };
      }
      return { type: m.type, ...(m.json !== undefined && !tooBig ? { value } : {}), cpuMicros: cpu(m.cpuMicros) };
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
    case 'sideExecutionComplete':
      return { type: 'sideExecutionComplete', result: m.result };
    case 'sideExecutionError':
      return { type: 'sideExecutionError', error: m.error };
    default:
      return undefined;
  }
}
