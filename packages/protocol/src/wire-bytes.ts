import type { StdinField, WireBytes } from './types.js';

/** Bytes for a JSON frame: text goes as it is, anything else as base64. */
export function wireBytes(data: string | Uint8Array): WireBytes {
  return typeof data === 'string' ? { data } : { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), encoding: 'base64' };
}

/** A command's stdin as a caller gives it (text, bytes, or `{ data, open }`), as the `stdin` field of a start. */
export type StdinInput = string | Uint8Array | { data?: string | Uint8Array; open?: boolean };

export function stdinField(stdin: StdinInput): StdinField {
  if (typeof stdin === 'string') return stdin;
  if (stdin instanceof Uint8Array) return wireBytes(stdin);
  return { ...(stdin.data !== undefined ? wireBytes(stdin.data) : {}), ...(stdin.open !== undefined ? { open: stdin.open } : {}) };
}
