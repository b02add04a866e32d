import { StringDecoder } from 'node:string_decoder';
import type { OutputChunk } from './capture.js';

/** Output chunks as text: a character split between two chunks comes out whole, with the second. */
export class OutputDecoders {
  private readonly decoders = new Map<string, StringDecoder>();

  decode(id: string, chunk: OutputChunk): string {
    const key = `${id}:${chunk.stream}`;
    let decoder = this.decoders.get(key);
    if (!decoder) this.decoders.set(key, (decoder = new StringDecoder('utf8')));
    return decoder.write(chunk.data);
  }

  forget(id: string): void {
    this.decoders.delete(`${id}:stdout`);
    this.decoders.delete(`${id}:stderr`);
  }
}
