import type { RawData } from 'ws';

/** A WebSocket frame as UTF-8 text, whether `ws` handed it over as one buffer, fragments or an ArrayBuffer. */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
}
