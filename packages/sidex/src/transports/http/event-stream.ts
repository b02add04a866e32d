// GET /v1/events: the live events of every execution as server-sent events,
// for the dashboard and anyone else who watches. Status, checkpoint and
// progress events of all executions; output only of the one named by
// `?output=<id>` (output of everything would drown a browser).
import type { ServerResponse } from 'node:http';
import type { ExecutionEvent } from '@sidex/protocol';
import type { EventHub, EventSink } from '../events/event-hub.js';

/** Bytes a slow reader may fall behind before events are dropped for it (it is told to resync). */
const MAX_BEHIND_BYTES = 512 * 1024;
const HEARTBEAT_MS = 15_000;

/** Starts the stream; the returned function ends it (at shutdown). */
export function streamEvents(raw: ServerResponse, hub: EventHub, outputOf: string | undefined): () => void {
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  raw.write(': sidex events\n\n');
  let behind = false;
  const sink: EventSink = {
    wants: () => true,
    deliver(event: ExecutionEvent) {
      if (event.event === 'output' && event.sideExecutionId !== outputOf) return;
      if (raw.writableLength > MAX_BEHIND_BYTES) {
        if (!behind) raw.once('drain', () => raw.write('event: resync\ndata: {}\n\n'));
        behind = true;
        return;
      }
      behind = false;
      raw.write(`event: ${event.event}\ndata: ${JSON.stringify(event)}\n\n`);
    },
  };
  hub.add(sink);
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
  raw.once('close', () => {
    clearInterval(heartbeat);
    hub.delete(sink);
  });
  return () => raw.end();
}
