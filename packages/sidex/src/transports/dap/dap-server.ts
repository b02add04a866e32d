import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { PipelineService } from '../../services/pipeline-service.js';
import type { Authenticator } from '../auth.js';
import { closeWebSocketServer, upgradePath } from '../ws/close-server.js';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from '../ws/flow-control.js';
import { DEFAULT_AUTH_LIMITS, FailedAuths, type AuthLimits } from './auth-gate.js';
import { dapCommands } from './commands.js';
import { DapConnection } from './connection.js';
import { DEFAULT_FRAME_LIMITS, type FrameLimits } from './frames.js';

export const DAP_PATH = '/task/service';

export interface DapServerOptions {
  pipelines: PipelineService;
  auth: Authenticator;
  log: Logger;
  version: string;
  /** The largest item a task takes (the bytes of a binary frame after its header). */
  maxItemBytes?: number;
  limits?: Partial<ConnectionLimits>;
  frameLimits?: Partial<FrameLimits>;
  authLimits?: Partial<AuthLimits>;
}

/**
 * The RocketRide dialect at `/task/service` (shared/PROTOCOLS.md §3). The
 * upgrade needs no key: RocketRide clients authenticate with their first
 * request (`auth`), which each connection checks.
 */
export class DapServer {
  private readonly wss: WebSocketServer;
  private readonly commands;
  private readonly failures: FailedAuths;
  private readonly limits: ConnectionLimits;
  private readonly frameLimits: FrameLimits;
  private readonly authLimits: AuthLimits;

  constructor(private readonly options: DapServerOptions) {
    this.limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.limits };
    this.frameLimits = { ...DEFAULT_FRAME_LIMITS, ...options.frameLimits };
    this.authLimits = { ...DEFAULT_AUTH_LIMITS, ...options.authLimits };
    this.failures = new FailedAuths(this.authLimits);
    this.commands = dapCommands(options.pipelines, { version: options.version });
    // Larger frames than a header and an item are closed by ws with 1009 (message too big).
    const maxPayload = this.frameLimits.maxJsonBytes + 1 + (options.maxItemBytes ?? 16 * 1024 * 1024);
    this.wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });
  }

  /** Takes the upgrade if it is for `/task/service`; returns false otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (upgradePath(req.url).pathname !== DAP_PATH) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      new DapConnection(ws, {
        commands: this.commands,
        pipelines: this.options.pipelines,
        keys: this.options.auth,
        failures: this.failures,
        authLimits: this.authLimits,
        limits: this.limits,
        frameLimits: this.frameLimits,
        log: this.options.log,
        version: this.options.version,
        address: req.socket.remoteAddress ?? 'unknown',
      });
    });
    return true;
  }

  /** Open WebSocket connections of this dialect. */
  get connections(): number {
    return this.wss.clients.size;
  }

  close(): Promise<void> {
    return closeWebSocketServer(this.wss);
  }
}
