import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { CodeboltBlocks } from '../../services/codebolt/codebolt-blocks.js';
import type { EventHub } from '../events/event-hub.js';
import { presentedKey, unauthorized, type Authenticator } from '../auth.js';
import { BlockConnection } from './block-connection.js';
import { looksLikeBlock, presentedToken, TOKEN_REQUIRED, upgradeBlock } from './block-upgrade.js';
import { CodeboltConnection } from './connection.js';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../ws/flow-control.js';
import { codeboltHandlers } from './dispatch.js';
import { codeboltApi } from './api/index.js';
import { callerOf } from './caller.js';
import type { Replies } from '../replies/index.js';
import { closeWebSocketServer, upgradePath } from '../ws/close-server.js';
import { refuse } from '../ws/refuse-upgrade.js';

export const CODEBOLT_PATH = '/codebolt';
/** Inline code (4 MB) plus params (8 MB) plus the envelope. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface CodeboltServerOptions {
  /** The services' replies in Codebolt's shape. */
  replies: Replies;
  /** Codebolt-built blocks: their WebSockets authenticate with their execution's token. */
  blocks: CodeboltBlocks;
  hub: EventHub;
  auth: Authenticator;
  log: Logger;
  limits?: Partial<ConnectionLimits>;
}

/**
 * The Codebolt dialect at `/codebolt`: authenticates the upgrade, then hands
 * each socket to a connection: a client's (API key) or a Codebolt-built
 * block's (the token of its execution, never the API key).
 */
export class CodeboltServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  private readonly handlers;
  private readonly limits: ConnectionLimits;

  constructor(private readonly options: CodeboltServerOptions) {
    const table = codeboltHandlers();
    this.handlers = new Map(Object.entries(table).map(([type, actions]) => [type, new Map(Object.entries(actions))]));
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
  }

  /** Takes the upgrade if it is for `/codebolt`; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = upgradePath(req.url);
    if (url.pathname !== CODEBOLT_PATH) return false;
    const token = presentedToken(url.searchParams);
    // Codebolt's SDK cannot set headers and forwards its environment as the query: its
    // threadToken may be the API key of a client, or the token of a block's execution.
    const tokenIsKey = token !== undefined && this.options.auth.matches(token);
    if (token !== undefined && !tokenIsKey) {
      upgradeBlock({ req, socket, head, query: url.searchParams, token }, this.wss, this.options.blocks, (ws, executionId) => {
        new BlockConnection(ws, executionId, this.options.blocks, this.options.log, this.limits);
      });
      return true;
    }
    const key = tokenIsKey ? token : presentedKey(req.headers, url.searchParams);
    if (!this.options.auth.matches(key)) {
      const error = key === undefined && looksLikeBlock(url.searchParams) ? { message: TOKEN_REQUIRED, code: 'CODEBOLT_TOKEN_REQUIRED' } : unauthorized(key, req.headers);
      refuse(socket, 401, 'Unauthorized', { success: false, error: error.message, code: error.code });
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // The SDK says who calls in its URL (agentId, parentAgentInstanceId, threadId): its starts' defaults.
      const api = codeboltApi(this.options.replies, callerOf(url.searchParams));
      new CodeboltConnection(ws, api, this.handlers, this.options.hub, this.options.log, this.limits);
    });
    return true;
  }

  /** Open WebSocket connections of this dialect. */
  get connections(): number {
    return this.wss.clients.size;
  }

  /** Closes every connection (code 1001) and the server. */
  close(): Promise<void> {
    return closeWebSocketServer(this.wss);
  }
}
