// JSON text a caller sends (REST bodies, Codebolt frames), refused before it
// is parsed when parsing would keep it wrong or unsafe:
// - nesting past MAX_VALUE_DEPTH: the next JSON.stringify of such a value, in
//   the store or a reply, overflows the stack (a 5,000-deep threadContext came
//   back as STORE_UNAVAILABLE);
// - a number past what a double holds (1e400, or 400 digits): it parses as
//   ±Infinity, which JSON.stringify writes as null, a param changed without a
//   word. Found cheaply: only a text with a three-digit exponent, or a run of
//   309 digits, is parsed again to find the key that holds one;
// - a key `__proto__`, or `constructor` holding `prototype`: copied into an
//   object it sets the prototype instead, and the key is gone without a word
//   (REST bodies are refused for it by Fastify's parser, secure-json-parse).
import { MAX_VALUE_DEPTH, nestsDeeperThan } from '../runtime/json-depth.js';

const SUSPECT = /[eE]\+?\d{3}|\d{309}/;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** `bytes` as UTF-8 text; undefined when they are not UTF-8 (each bad byte would become U+FFFD without a word). */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Why `text` is refused, as a message about `where` (`body`, `frame`); undefined when it is not. */
export function jsonTextRefusal(text: string, where: string): string | undefined {
  return depthRefusal(text, where) ?? valueRefusal(text, where);
}

/**
 * Why what `text` holds is refused, once it is known to parse: a number past
 * a double, and unless `prototypeKeys` is false (what is kept as the JSON it
 * is), a key that would set a prototype.
 */
export function valueRefusal(text: string, where: string, { prototypeKeys = true }: { prototypeKeys?: boolean } = {}): string | undefined {
  return numberOverflowRefusal(text, where) ?? (prototypeKeys ? prototypeKeyRefusal(text, where) : undefined);
}

/** Why `text` is refused for its nesting, as a message about `where`: checked before it is parsed. */
export function depthRefusal(text: string, where: string): string | undefined {
  return nestsDeeperThan(text, MAX_VALUE_DEPTH + 1) ? `${where} nests deeper than ${MAX_VALUE_DEPTH} levels of arrays and objects` : undefined;
}

/** Why `text` is refused for a key that would set a prototype, as a message about `where`; undefined when it holds none. */
function prototypeKeyRefusal(text: string, where: string): string | undefined {
  if (!text.includes('__proto__') && !text.includes('prototype')) return undefined;
  let found = false;
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype'))) found = true;
      return value;
    });
  } catch {
    return undefined; // not JSON: its parser says so
  }
  return found ? `${where}: a key "__proto__", or "constructor" holding "prototype", is not accepted` : undefined;
}

/** Why `text` is refused for a number past a double, as a message about `where`; undefined when it holds none. */
function numberOverflowRefusal(text: string, where: string): string | undefined {
  const key = overflowingNumberKey(text);
  return key === undefined ? undefined : `${where}: "${key}" holds a number beyond what JSON's doubles hold (about ±1.8e308)`;
}

/** The key of the first number in `text` (JSON) that is not finite once parsed; undefined when there is none. */
function overflowingNumberKey(text: string): string | undefined {
  if (!SUSPECT.test(text)) return undefined;
  let found: string | undefined;
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (found === undefined && typeof value === 'number' && !Number.isFinite(value)) found = key === '' ? '(the value)' : key;
      return value;
    });
  } catch {
    return undefined; // not JSON: its parser says so
  }
  return found;
}
