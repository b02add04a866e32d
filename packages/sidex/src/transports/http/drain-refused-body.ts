import type { IncomingMessage } from 'node:http';

/** What is read of a refused body at most, and for how long, before the connection is cut. */
const DRAIN_CAP_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 10_000;

/**
 * A body refused as too large is answered at once, from its Content-Length,
 * but the client may still be writing it. Fastify closes the connection after
 * such an error, so a client that writes its whole body before reading gets
 * EPIPE or a reset instead of the 413 (one time in ten here). Instead, the
 * rest is read and thrown away, up to a cap and a time limit beyond which the
 * connection is cut, and the connection is kept: the client sees the status.
 */
export function keepConnectionToDrain(request: IncomingMessage, removeCloseHeader: () => void): void {
  if (request.complete) return;
  removeCloseHeader();
  let seen = 0;
  const cut = () => {
    done();
    request.socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_CAP_BYTES) cut();
  };
  const timer = setTimeout(cut, DRAIN_MS);
  timer.unref();
  const done = () => {
    clearTimeout(timer);
    request.off('data', onData);
  };
  request.on('data', onData);
  request.once('end', done);
  request.once('close', done);
}
