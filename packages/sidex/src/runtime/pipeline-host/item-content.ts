// What of an item's bytes crosses to the task host. RocketRide's sources put
// an item on one lane chosen by its mime type; text arrives write by write
// (each write is one value on the text lane), anything else as bytes.
import { StringDecoder } from 'node:string_decoder';

export interface ItemContent {
  /** The whole item as UTF-8 text (the `data` lane, and what code reads). */
  text: string;
  /** Each write as UTF-8 text (a character split across writes is kept whole), for text types. */
  writes?: string[];
  /** The bytes, base64, for types that are not text. */
  base64?: string;
}

/** RocketRide's lane for a mime type: `lane/<name>` names it; text, image, video and audio have theirs; the rest is raw (`tags`). */
export function laneOfMimeType(mimeType: string): string {
  const type = mimeType.toLowerCase();
  if (type.startsWith('lane/')) return mimeType.slice(5);
  if (type.startsWith('application/rocketride-question')) return 'questions';
  for (const lane of ['text', 'image', 'video', 'audio']) if (type.startsWith(`${lane}/`)) return lane;
  return 'tags';
}

export function itemContent(chunks: readonly Buffer[], mimeType: string): ItemContent {
  const all = Buffer.concat(chunks);
  const text = all.toString('utf8');
  if (laneOfMimeType(mimeType) === 'text') {
    const decoder = new StringDecoder('utf8');
    const writes = chunks.map((c) => decoder.write(c));
    const rest = decoder.end();
    if (rest && writes.length > 0) writes[writes.length - 1] += rest;
    return { text, writes };
  }
  return { text, base64: all.toString('base64') };
}
