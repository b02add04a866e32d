import type { RawData } from 'ws';
import { utf8Text } from '../json-text.js';

/**
 * A WebSocket frame as UTF-8 text, whether `ws` handed it over as one buffer,
 * fragments or an ArrayBuffer; undefined when the bytes of a binary frame are
 * not UTF-8. A text frame `ws` has checked already, and it is decoded as it
 * is (a status read is one such frame).
 */
export function frameText(data: RawData, isBinary: boolean): string | undefined {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  return isBinary ? utf8Text(bytes) : bytes.toString('utf8');
}
