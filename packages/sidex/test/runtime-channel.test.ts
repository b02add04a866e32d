// The engine's reader of a runtime's channel, over a real Unix socket: what
// the running code can write to it, cut anywhere, never throws out of the
// reader, and every whole JSON line still arrives, in order.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeChannel } from '../dist/engine/pool/runtime-channel.js';

interface Pair {
  writer: net.Socket;
  /** Bytes the channel's socket has read so far. */
  read(): number;
  channel: RuntimeChannel;
  messages: unknown[];
  oversize: number[];
  tooDeep: number;
}

let dir: string;
let server: net.Server;
const accepted: net.Socket[] = [];
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-channel-'));
  server = net.createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(path.join(dir, 's'), resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A connected pair: the test writes at one end, a RuntimeChannel reads the other. */
async function pair(maxLineBytes?: number): Promise<Pair> {
  const writer = net.connect(path.join(dir, 's'));
  await new Promise((resolve) => writer.once('connect', resolve));
  while (accepted.length === 0) await new Promise((resolve) => setImmediate(resolve));
  const messages: unknown[] = [];
  const oversize: number[] = [];
  const socket = accepted.shift()!;
  const pair: Pair = { writer, read: () => read, channel: undefined as unknown as RuntimeChannel, messages, oversize, tooDeep: 0 };
  pair.channel = new RuntimeChannel(socket, { message: (m) => messages.push(m), oversize: (b) => oversize.push(b), tooDeep: () => pair.tooDeep++ }, maxLineBytes);
  let read = 0;
  socket.on('data', (d: Buffer) => (read += d.length));
  return pair;
}

/** Writes each piece apart (each its own read: the next is written once the reader has read it), then closes. */
async function writeApart(p: Pair, pieces: Buffer[]): Promise<void> {
  let written = 0;
  for (const piece of pieces) {
    await new Promise<void>((resolve, reject) => p.writer.write(piece, (err) => (err ? reject(err) : resolve())));
    written += piece.length;
    while (p.read() < written) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  p.writer.end();
  await p.channel.closed;
}

/** `bytes` cut at the given points. */
const cut = (bytes: Buffer, at: number[]) => {
  const points = [...new Set(at.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((from, i) => bytes.subarray(from, points[i] ?? bytes.length)).filter((b) => b.length > 0);
};

describe("a runtime's channel, read by the engine", () => {
  it('whole JSON lines arrive in order, whatever the cuts; lines that are not JSON are dropped', async () => {
    const garbage = fc.constantFrom('not json', '{"type":', '[1, 2', '', '\u0000\u0001', '{"a":1}{"b":2}', '"unterminated');
    const line = fc.oneof(fc.jsonValue().map((value) => ({ value })), garbage.map((text) => ({ text })));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), async (lines, at) => {
        const p = await pair();
        const text = lines.map((l) => ('value' in l ? JSON.stringify(l.value) : l.text) + '\n').join('');
        await writeApart(p, cut(Buffer.from(text), at));
        // JSON.stringify turns -0 into 0: compare what the JSON says.
        expect(p.messages).toEqual(lines.filter((l) => 'value' in l).map((l) => JSON.parse(JSON.stringify((l as { value: unknown }).value))));
        expect(p.oversize).toEqual([]);
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('a character of several bytes cut between two reads is read whole', async () => {
    const p = await pair();
    const bytes = Buffer.from(JSON.stringify({ text: 'é€😀' }) + '\n');
    const inside = bytes.indexOf(Buffer.from('€')) + 1;
    await writeApart(p, [bytes.subarray(0, inside), bytes.subarray(inside)]);
    expect(p.messages).toEqual([{ text: 'é€😀' }]);
  });

  it('a line past the bound is reported once, as soon as it passes it, and dropped to its end; the next line is read', async () => {
    const p = await pair(1000);
    await writeApart(p, [Buffer.from('{"a":"' + 'x'.repeat(600)), Buffer.from('x'.repeat(600))]);
    expect(p.oversize).toEqual([1206]);
    expect(p.messages).toEqual([]);
    const q = await pair(1000);
    await writeApart(q, [Buffer.from('{"a":"' + 'x'.repeat(2000)), Buffer.from('x'.repeat(5000) + '"}\n{"after":1}\n'), Buffer.from(JSON.stringify({ fits: 'y'.repeat(980) }) + '\n')]);
    expect(q.oversize).toEqual([2006]);
    expect(q.messages).toEqual([{ after: 1 }, { fits: 'y'.repeat(980) }]);
  });

  it('a line nested deeper than any message may is reported and dropped; brackets inside strings do not count', async () => {
    const p = await pair();
    const deep = `{"type":"progress","x":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    const quoted = JSON.stringify({ type: 'progress', json: '['.repeat(5000) + ']'.repeat(5000) + '\\"[' });
    await writeApart(p, [Buffer.from(`${deep}\n`), Buffer.from(`${quoted}\n{"type":"ready"}\n`)]);
    expect(p.tooDeep).toBe(1);
    expect(p.messages).toEqual([JSON.parse(quoted), { type: 'ready' }]);
  });

  it('sends lines in the json serialization Node reads, and nothing once closed', async () => {
    const p = await pair();
    const received: Buffer[] = [];
    p.writer.on('data', (d: Buffer) => received.push(d));
    p.channel.send({ type: 'warm', n: 1 });
    p.channel.send({ type: 'stop' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Buffer.concat(received).toString()).toBe('{"type":"warm","n":1}\n{"type":"stop"}\n');
    p.channel.close();
    await p.channel.closed;
    expect(p.channel.connected).toBe(false);
    expect(() => p.channel.send({ type: 'late' })).not.toThrow();
    p.writer.destroy();
  });

  it('a write that meets a runtime already gone fails alone: the lines it wrote last are still read', async () => {
    const p = await pair();
    await new Promise<void>((resolve, reject) => p.writer.write('{"type":"exited","code":4}\n', (err) => (err ? reject(err) : resolve())));
    // The runtime exits with its last line unread; the engine writes before reading it (EPIPE).
    p.writer.destroy();
    p.channel.send({ type: 'stdin', close: true });
    await p.channel.closed;
    expect(p.messages).toEqual([{ type: 'exited', code: 4 }]);
    expect(p.channel.connected).toBe(false);
  });
});
