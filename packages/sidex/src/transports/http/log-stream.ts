import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { LogLine } from '@sidex/protocol';
import type { LogFrame } from '../../engine/output/log-format.js';

export type LogFormat = 'sse' | 'ndjson';

const CONTENT_TYPES: Record<LogFormat, string> = {
  sse: 'text/event-stream; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

function encode(format: LogFormat, event: string, value: object): string {
  const json = JSON.stringify(value);
  return format === 'sse' ? `event: ${event}\ndata: ${json}\n\n` : `${json}\n`;
}

/**
 * Writes log frames to a raw response, one per SSE event (`output`) or NDJSON
 * line; `end` (SSE) carries the final status.
 */
export async function writeLogStream(raw: ServerResponse, format: LogFormat, lines: AsyncIterable<LogLine>, end: () => Promise<object>): Promise<void> {
  async function* chunks() {
    for await (const line of lines) yield encode(format, 'output', line);
    if (format === 'sse') yield encode(format, 'end', await end());
  }
  await stream(raw, CONTENT_TYPES[format], chunks());
}

/** One stream's exact bytes as application/octet-stream. */
export async function writeRawLog(raw: ServerResponse, which: 'stdout' | 'stderr', frames: AsyncIterable<LogFrame>): Promise<void> {
  async function* chunks() {
    for await (const frame of frames) if (frame.stream === which) yield frame.data;
  }
  await stream(raw, 'application/octet-stream', chunks());
}

/** Log lines carrying the exact bytes, as base64. */
export async function* base64Lines(frames: AsyncIterable<LogFrame>): AsyncGenerator<LogLine> {
  for await (const frame of frames) yield { stream: frame.stream, data: frame.data.toString('base64'), time: frame.time, encoding: 'base64' };
}

/** Writes chunks to a raw response, honouring backpressure; stops early when the client goes away. */
async function stream(raw: ServerResponse, contentType: string, chunks: AsyncIterable<string | Buffer>): Promise<void> {
  raw.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  let gone = false;
  const closed = once(raw, 'close').then(() => (gone = true));
  raw.flushHeaders();
  try {
    for await (const chunk of chunks) {
      if (gone) break;
      if (!raw.write(chunk)) await Promise.race([once(raw, 'drain'), closed]);
    }
  } finally {
    raw.end();
  }
}
