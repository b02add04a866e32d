// DAP frames of the RocketRide dialect (docs/rocketride.md): a text frame
// is JSON; a binary frame is a UTF-8 JSON header without `arguments.data`, a
// `\n`, then the raw bytes of `arguments.data`; a binary frame with no `\n` is
// plain JSON.
import type { DapMessage } from './pipeline-types.js';

const NEWLINE = 0x0a;
const SEPARATOR = Buffer.from([NEWLINE]);

/** A frame's JSON, and the bytes that follow the header of a binary frame. */
export function splitDapFrame(frame: Buffer, isBinary: boolean): { json: Buffer; data?: Buffer } {
  const split = isBinary ? frame.indexOf(NEWLINE) : -1;
  return split === -1 ? { json: frame } : { json: frame.subarray(0, split), data: frame.subarray(split + 1) };
}

/** A message as a text frame, or as a binary frame when it carries `arguments.data`. */
export function encodeDapFrame(message: DapMessage): string | Buffer {
  const args = message.arguments;
  if (!args || args.data === undefined) return JSON.stringify(message);
  const { data, ...rest } = args;
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(JSON.stringify(data), 'utf8');
  return Buffer.concat([Buffer.from(JSON.stringify({ ...message, arguments: rest }), 'utf8'), SEPARATOR, bytes]);
}
