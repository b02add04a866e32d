import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { LogLine } from '@sidex/protocol';

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
 * line, honouring backpressure; `end` (SSE) carries the final status. Stops
 * early when the client goes away.
 */
export async function writeLogStream(raw: ServerResponse, format: LogFormat, lines: AsyncIterable<LogLine>, end: () => Promise<object>): Promise<void> {
  raw.writeHead(200, { 'content-type': CONTENT_TYPES[format], 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  let gone = false;
  const closed = once(raw, 'close').then(() => (gone = true));
  raw.flushHeaders();
  try {
    for await (const line of lines) {
      if (gone) break;
      if (!raw.write(encode(format, 'output', line))) await Promise.race([once(raw, 'drain'), closed]);
    }
    if (!gone && format === 'sse') raw.write(encode(format, 'end', await end()));
  } finally {
    raw.end();
  }
}

/** One stream's exact bytes as application/octet-stream, honouring backpressure; stops early when the client goes away. */
export async function writeRawLog(raw: ServerResponse, stream: 'stdout' | 'stderr', frames: AsyncIterable<{ stream: string; data: Buffer }>): Promise<void> {
  raw.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  let gone = false;
  const closed = once(raw, 'close').then(() => (gone = true));
  raw.flushHeaders();
  try {
    for await (const frame of frames) {
      if (gone) break;
      if (frame.stream !== stream) continue;
      if (!raw.write(frame.data)) await Promise.race([once(raw, 'drain'), closed]);
    }
  } finally {
    raw.end();
  }
}
