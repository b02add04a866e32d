import { ActionBlockApi } from './action-block.js';
import { CapabilityApi } from './capability.js';
import { Connection } from './connection.js';
import { EventRouter, type EventName, type EventOf } from './events.js';
import { readLogs } from './logs.js';
import { SideExecutionApi } from './side-execution.js';
import { readWorkers } from './workers.js';
import { TERMINAL_STATUSES, type LogLine, type Reply, type StatusFields, type WorkersFields } from '@sidex/protocol';

export interface SidexClientOptions {
  /** The server: `http://127.0.0.1:5565` (a `ws://` URL or one ending in `/codebolt` works too). */
  url: string;
  apiKey?: string;
  /** A request without a reply after this long rejects with TIMEOUT (default 60 000). */
  requestTimeoutMs?: number;
  /** waitForReady gives up after this long (default 10 000). */
  connectTimeoutMs?: number;
  /** Reconnect backoff: first delay (default 100) doubling up to the max (default 5000), with jitter. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /**
   * Who is calling, sent as Codebolt's SDK sends it (query parameters of the
   * WebSocket URL): the defaults of every start's `threadId`,
   * `parentAgentId` and `parentAgentInstanceId`, which a start's own options override.
   */
  caller?: CallerIds;
}

/** Codebolt's names for the calling agent, its instance's parent and its thread. */
export interface CallerIds {
  agentId?: string;
  parentAgentInstanceId?: string;
  threadId?: string;
}

/** The sidex SDK: the Codebolt `sideExecution`, `actionBlock` and `capability` APIs over one WebSocket, plus helpers. */
export class SidexClient {
  readonly sideExecution: SideExecutionApi;
  readonly actionBlock: ActionBlockApi;
  readonly capability: CapabilityApi;
  /** `http(s)://host:port` of the server. */
  readonly httpUrl: string;
  private readonly connection: Connection;
  private readonly events: EventRouter;
  private readonly apiKey: string | undefined;
  private readonly requestTimeoutMs: number;

  constructor(options: SidexClientOptions) {
    const base = new URL(options.url);
    const secure = base.protocol === 'https:' || base.protocol === 'wss:';
    this.httpUrl = `${secure ? 'https' : 'http'}://${base.host}`;
    this.apiKey = options.apiKey;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.connection = new Connection(
      {
        url: `${secure ? 'wss' : 'ws'}://${base.host}/codebolt${callerQuery(options.caller)}`,
        ...(options.apiKey ? { apiKey: options.apiKey } : {}),
        requestTimeoutMs: this.requestTimeoutMs,
        connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
        reconnectInitialMs: options.reconnectInitialMs ?? 100,
        reconnectMaxMs: options.reconnectMaxMs ?? 5000,
      },
      (message) => this.events.dispatch(message),
    );
    this.events = new EventRouter(this.connection);
    this.sideExecution = new SideExecutionApi(this.connection);
    this.actionBlock = new ActionBlockApi(this.connection);
    this.capability = new CapabilityApi(this.connection);
  }

  /** Resolves once connected to the server. */
  waitForReady(timeoutMs?: number): Promise<void> {
    return this.connection.waitForReady(timeoutMs);
  }

  /** Codebolt's name for waitForReady. */
  waitForConnection(timeoutMs?: number): Promise<void> {
    return this.waitForReady(timeoutMs);
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  /**
   * Listens to live events (`status`, `output`, `checkpoint`, `progress`, and
   * `dropped` when this client read too slowly) of one execution or of all.
   * Returns the function that stops listening.
   */
  on<E extends EventName>(event: E, fn: (event: EventOf<E>) => void, options: { sideExecutionId?: string } = {}): () => void {
    return this.events.add(event, fn, options.sideExecutionId);
  }

  /** Resolves with the status reply once the execution has ended (or a failure reply, e.g. an unknown id). */
  async wait(sideExecutionId: string): Promise<Reply<StatusFields>> {
    const release = this.connection.hold();
    let wake: () => void = () => {};
    const off = this.events.add('status', (e) => e.terminal && wake(), sideExecutionId);
    // The end may be among events the server dropped (an execution flooding output to a slow reader): look again.
    const offDropped = this.events.add('dropped', () => wake(), sideExecutionId);
    // Events may have been missed while reconnecting: look again after each reconnection.
    const offOpen = this.connection.onOpen(() => wake());
    try {
      await this.events.ready(sideExecutionId);
      for (;;) {
        const woken = new Promise<void>((resolve) => (wake = resolve));
        const status = await this.sideExecution.getStatus(sideExecutionId);
        if (!status.success || TERMINAL_STATUSES.includes(status.status)) return status;
        await woken;
      }
    } finally {
      off();
      offDropped();
      offOpen();
      release();
    }
  }

  /**
   * The execution's output in order: `{stream, data, time}`; with follow, until
   * it ends. With `encoding: 'base64'`, `data` is the exact bytes in base64
   * (as text, bytes that are not UTF-8 show as U+FFFD).
   */
  logs(sideExecutionId: string, options: { follow?: boolean; encoding?: 'utf8' | 'base64' } = {}): AsyncGenerator<LogLine> {
    return readLogs(this.httpUrl, this.apiKey, sideExecutionId, options.follow ?? false, options.encoding);
  }

  /**
   * Who runs the executions (`GET /v1/workers`): in a cluster, each worker's
   * load, tags and heartbeat and each queue's depth; otherwise `clustered:
   * false` and the server's own engine's load.
   */
  workers(): Promise<Reply<WorkersFields>> {
    return readWorkers(this.httpUrl, this.apiKey, this.requestTimeoutMs);
  }

  /** Closes the connection; pending requests reject with CLOSED. */
  close(): void {
    this.connection.close();
  }
}

/** `?agentId=...&threadId=...` of the ids given, or nothing. */
function callerQuery(caller: CallerIds = {}): string {
  const given = Object.entries(caller).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '');
  return given.length ? `?${new URLSearchParams(given)}` : '';
}
