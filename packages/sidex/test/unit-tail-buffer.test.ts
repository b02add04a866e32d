// The tail kept of each stream for status replies: the last bytes, whole
// characters, and whether anything was cut.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TailBuffer } from '../dist/engine/output/tail-buffer.js';

const fill = (capacity: number, ...chunks: string[]) => {
  const tail = new TailBuffer(capacity);
  for (const chunk of chunks) tail.push(Buffer.from(chunk));
  return tail;
};

describe('TailBuffer', () => {
  it('keeps everything while it fits', () => {
    const tail = fill(10, 'abc', 'def');
    expect(tail.text()).toBe('abcdef');
    expect(tail.truncated).toBe(false);
  });

  it('exactly full is not truncated', () => {
    expect(fill(6, 'abc', 'def').truncated).toBe(false);
    expect(fill(3, 'abc').truncated).toBe(false);
  });

  it('keeps the last bytes across chunks and says it cut', () => {
    const tail = fill(5, 'abc', 'def', 'gh');
    expect(tail.text()).toBe('defgh');
    expect(tail.truncated).toBe(true);
  });

  it('a chunk larger than the capacity keeps its own end', () => {
    const tail = fill(4, 'xy', '0123456789');
    expect(tail.text()).toBe('6789');
    expect(tail.truncated).toBe(true);
  });

  it('a cut inside a UTF-8 character drops the partial character', () => {
    // 'é' is two bytes: keeping 3 bytes of 'aéb' + 'c' would start mid-character.
    const tail = fill(3, 'aé', 'bc');
    expect(tail.text()).toBe('bc');
    expect(tail.truncated).toBe(true);
  });

  it('a text read after a push sees the push', () => {
    const tail = fill(10, 'ab');
    expect(tail.text()).toBe('ab');
    tail.push(Buffer.from('cd'));
    expect(tail.text()).toBe('abcd');
  });

  it('streamText carries the total bytes it is given', () => {
    expect(fill(2, 'abcd').streamText(4)).toEqual({ text: 'cd', truncated: true, bytes: 4 });
  });

  it('for any ASCII chunks: the text is the last `capacity` bytes of everything pushed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.string({ maxLength: 40 }), { maxLength: 20 }), (capacity, chunks) => {
        const all = chunks.join('');
        const tail = fill(capacity, ...chunks);
        expect(tail.text()).toBe(all.slice(Math.max(0, all.length - capacity)));
        expect(tail.truncated).toBe(all.length > capacity);
      }),
    );
  });
});
