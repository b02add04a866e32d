import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inlineFrames } from './inline/user-frames.js';
import { MAX_VALUE_DEPTH, nestsDeeperThan, tooDeep } from './json-depth.js';
import { MAX_LINE_BYTES, MAX_VALUE_BYTES, type ErrorInfo } from './messages.js';

const runtimeDir = path.dirname(fileURLToPath(import.meta.url));
// With source maps on, the runtime's own frames name its sources (src/runtime) rather than dist/runtime.
const runtimeDirs = [runtimeDir, path.resolve(runtimeDir, '../../src/runtime')];
const runtimeMarks = runtimeDirs.flatMap((dir) => [`${dir}${path.sep}`, `${pathToFileURL(dir).href}/`]);

/** A stack as the user wrote the code: the runtime's own frames are noise to them. */
function userStack(stack: string): string {
  return inlineFrames(stack)
    .split('\n')
    .filter((line) => !runtimeMarks.some((mark) => line.includes(mark)))
    .join('\n');
}

export class NotSerializableError extends Error {
  readonly code = 'RESULT_NOT_SERIALIZABLE';
}

export class ValueTooLargeError extends Error {
  readonly code = 'VALUE_TOO_LARGE';
}

/** The message of a value over MAX_VALUE_BYTES (shared with the engine's check of what crosses IPC). */
export const tooLarge = (what: string, bytes: number) => `${what} is ${bytes} bytes of JSON; at most ${MAX_VALUE_BYTES} are kept`;

/** Room in a line for what wraps a message's JSON text: `{"type":"message","json":...}` and the line's end. */
const LINE_OVERHEAD = 64;

/**
 * toJson for a message (ctx.send): its line on the channel at most MAX_LINE_BYTES. The JSON text is
 * escaped once more in the line, so only a text past a sixth of the bound (each character escaped
 * as six at most) is measured, by escaping it.
 */
export function toChannelJson(value: unknown, what: string): string {
  const json = toJson(value, what) ?? 'null';
  if (json.length * 6 + LINE_OVERHEAD <= MAX_LINE_BYTES) return json;
  const bytes = Buffer.byteLength(JSON.stringify(json)) + LINE_OVERHEAD;
  if (bytes > MAX_LINE_BYTES) throw new ValueTooLargeError(`${what} is ${bytes} bytes on the channel to sidex; at most ${MAX_LINE_BYTES} cross it`);
  return json;
}

/** toJson for a value that status replies carry (result, checkpoint, progress): at most MAX_VALUE_BYTES. */
export function toBoundedJson(value: unknown, what: string): string | undefined {
  const json = toJson(value, what);
  if (json !== undefined && json.length > MAX_VALUE_BYTES / 4) {
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_VALUE_BYTES) throw new ValueTooLargeError(tooLarge(what, bytes));
  }
  return json;
}

/** JSON text of a value, or undefined for undefined; throws a clear error otherwise. */
export function toJson(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new NotSerializableError(`${what} cannot be serialized to JSON: ${(err as Error).message}`);
  }
  // JSON.stringify answers undefined for functions and symbols instead of throwing.
  if (json === undefined) throw new NotSerializableError(`${what} cannot be serialized to JSON: it is a ${typeof value}`);
  if (nestsDeeperThan(json, MAX_VALUE_DEPTH)) throw new NotSerializableError(tooDeep(what));
  return json;
}

export function errorInfo(err: unknown, code = 'UNCAUGHT_ERROR'): ErrorInfo {
  if (err instanceof Error) {
    const own = (err as { code?: unknown }).code;
    return {
      code: typeof own === 'string' && /^[A-Z][A-Z_]+$/.test(own) ? own : code,
      message: err.message,
      ...(err.stack ? { stack: userStack(err.stack) } : {}),
    };
  }
  return { code, message: `non-error thrown: ${safeString(err)}` };
}

function safeString(value: unknown): string {
  try {
    return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    // String() fails too on values nested too deep to print, or whose toString throws.
    try {
      return String(value);
    } catch {
      return `a ${typeof value} that cannot be printed`;
    }
  }
}
