import type { Duplex } from 'node:stream';

/** Answers an upgrade request with a plain HTTP error (a JSON body) and closes the socket. */
export function refuse(socket: Duplex, status: number, reason: string, body: object): void {
  const text = JSON.stringify(body);
  // An upgrade's socket has no error listener of Node's: a client gone before reading the refusal (ECONNRESET) must not crash the server.
  socket.on('error', () => {});
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
