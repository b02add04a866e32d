import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { EventHub } from '../events/event-hub.js';
import { presentedKey, unauthorized, type Authenticator } from '../auth.js';
import { CodeboltConnection, DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './connection.js';
import { codeboltHandlers, type DialectServices } from './dispatch.js';
import { closeWebSocketServer, upgradePath } from '../ws/close-server.js';

export const CODEBOLT_PATH = '/codebolt';
/** Inline code (4 MB) plus params (8 MB) plus the envelope. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface CodeboltServerOptions {
  services: DialectServices;
  hub: EventHub;
  auth: Authenticator;
  log: Logger;
  limits?: Partial<ConnectionLimits>;
}

/** The Codebolt dialect at `/codebolt`: authenticates the upgrade, then hands each socket to a connection. */
export class CodeboltServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly handlers;
  private readonly limits: ConnectionLimits;

  constructor(private readonly options: CodeboltServerOptions) {
    const table = codeboltHandlers(options.services);
    this.handlers = new Map(Object.entries(table).map(([type, actions]) => [type, new Map(Object.entries(actions))]));
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  }

  /** Takes the upgrade if it is for `/codebolt`; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = upgradePath(req.url);
    if (url.pathname !== CODEBOLT_PATH) return false;
    const key = presentedKey(req.headers, url.searchParams);
    if (!this.options.auth.matches(key)) {
      const error = unauthorized(key);
      refuse(socket, 401, 'Unauthorized', { success: false, error: error.message, code: error.code });
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      new CodeboltConnection(ws, this.handlers, this.options.hub, this.options.log, this.limits);
    });
    return true;
  }

  /** Closes every connection (code 1001) and the server. */
  close(): Promise<void> {
    return closeWebSocketServer(this.wss);
  }
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
export function refuse(socket: Duplex, status: number, reason: string, body: object): void {
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
