import type { WebSocketServer } from 'ws';

/** Closes every connection of a WebSocket server (code 1001), then the server; what does not close is terminated. */
export async function closeWebSocketServer(wss: WebSocketServer): Promise<void> {
  for (const ws of wss.clients) ws.close(1001, 'server shutting down');
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  for (const ws of wss.clients) ws.terminate();
}

/** The path of an upgrade request. */
export const upgradePath = (url: string | undefined): URL => new URL(url ?? '/', 'http://sidex.invalid');
