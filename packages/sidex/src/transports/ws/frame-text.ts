import type { RawData } from 'ws';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A WebSocket frame as UTF-8 text, whether `ws` handed it over as one buffer,
 * fragments or an ArrayBuffer; undefined when its bytes are not UTF-8 (a
 * binary frame: `ws` checks text frames itself), which would otherwise each
 * become U+FFFD without a word.
 */
export function frameText(data: RawData): string | undefined {
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}
