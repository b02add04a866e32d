import { readFile } from 'node:fs/promises';
import { DapSocket } from './dap-socket.js';
import { DataPipe } from './data-pipe.js';
import { FileStoreCalls, type StoreEntry } from './file-store.js';
import { PipelineError } from './pipeline-error.js';
import type { ConnectResult, DapMessage, MonitorKey, PipelineResult, TaskStatus, TaskSummary, UseResult, ValidationResult } from '@sidex/protocol';

/** What a pipe's client hears of its item in real time (an `apaevt_sse` event): its type and data. */
export type SseCallback = (type: string, data: Record<string, unknown>) => void | Promise<void>;

export interface PipelineClientConfig {
  /** The API key (`ROCKETRIDE_APIKEY` in the environment wins over it, as in RocketRide's client; `SIDEX_API_KEY` is the last resort). */
  auth?: string;
  /** The server: `http://127.0.0.1:5565`, `localhost:5565`, or a `ws://` URL (else `ROCKETRIDE_URI`, `SIDEX_URL`). */
  uri?: string;
  /** The environment to read those variables from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Every event of the monitors (`apaevt_status_update`, `apaevt_task`, `apaevt_flow`, `output`, ...). */
  onEvent?: (event: DapMessage) => void | Promise<void>;
  onConnected?: (connectionInfo: string) => void | Promise<void>;
  onDisconnected?: (reason: string, hasError: boolean) => void | Promise<void>;
  onConnectError?: (error: Error) => void | Promise<void>;
  /** Reconnect (and subscribe the monitors again) when the connection is lost. */
  persist?: boolean;
  /** Stop reconnecting after this many ms of failures. */
  maxRetryTime?: number;
  /** A request without a response after this long rejects with TIMEOUT (default: none). */
  requestTimeout?: number;
  /** How long connect() may take (default 10 000 ms). */
  connectTimeout?: number;
  clientName?: string;
  clientVersion?: string;
}

const DEFAULT_URI = 'http://127.0.0.1:5565';

/** `localhost:5565`, `http://h:p`, `ws://h:p/...` -> `ws://h:p/task/service`. */
export function serviceUrl(uri: string): string {
  const text = uri.trim();
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return `${secure ? 'wss' : 'ws'}://${url.host}/task/service`;
}

/**
 * The RocketRide client's API, against sidex's `/task/service`: a program
 * written for `RocketRideClient` works after changing only its import (and the
 * URL). Failed calls throw a PipelineError (an Error, with sidex's `code`).
 */
export class PipelineClient {
  private socket: DapSocket | undefined;
  private apiKey: string;
  private uri: string;
  private readonly env: Record<string, string | undefined>;
  private connectResult: ConnectResult | undefined;
  private manualDisconnect = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = 500;
  private retryingSince: number | undefined;
  /** Monitor subscriptions by key, each type counted: types are sent merged, and again after a reconnection. */
  private readonly monitors = new Map<string, { key: MonitorKey; types: Map<string, number> }>();

  constructor(private readonly config: PipelineClientConfig = {}) {
    this.env = config.env ?? process.env;
    this.uri = config.uri ?? this.env.ROCKETRIDE_URI ?? this.env.SIDEX_URL ?? DEFAULT_URI;
    this.apiKey = config.auth ?? this.env.SIDEX_API_KEY ?? '';
  }

  // ---- connection ----------------------------------------------------------------

  /** Connects and authenticates (`auth` is the first request); answers who the server took this client for. */
  async connect(credential?: string, options: { uri?: string; timeout?: number } = {}): Promise<ConnectResult> {
    this.apiKey = credential ?? this.env.ROCKETRIDE_APIKEY ?? this.config.auth ?? this.env.SIDEX_API_KEY ?? '';
    if (options.uri !== undefined) this.uri = options.uri;
    this.manualDisconnect = false;
    clearTimeout(this.reconnectTimer);
    if (this.socket) await this.dropSocket();
    try {
      return await this.establish(options.timeout);
    } catch (err) {
      await this.config.onConnectError?.(err as Error);
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    this.manualDisconnect = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const hadSocket = this.socket !== undefined;
    await this.dropSocket();
    if (hadSocket) await this.config.onDisconnected?.('Disconnected by request', false);
  }

  isConnected(): boolean {
    return this.socket?.open ?? false;
  }

  getAccountInfo(): ConnectResult | undefined {
    return this.connectResult;
  }

  getConnectionInfo(): { connected: boolean; transport: string; uri: string } {
    return { connected: this.isConnected(), transport: 'WebSocket', uri: serviceUrl(this.uri) };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.disconnect();
  }

  static async withConnection<T>(config: PipelineClientConfig, callback: (client: PipelineClient) => Promise<T>): Promise<T> {
    const client = new PipelineClient(config);
    try {
      await client.connect();
      return await callback(client);
    } finally {
      await client.disconnect();
    }
  }

  // ---- calls -------------------------------------------------------------------------

  /** Sends a DAP command and answers the response body; a failure throws a PipelineError with the server's message and code. */
  async call<T = any>(command: string, args?: Record<string, unknown>, options: { token?: string; timeout?: number } = {}): Promise<T> {
    if (!this.socket) throw new PipelineError('NOT_CONNECTED', 'Server is not connected: call connect() first', command);
    const withToken = options.token !== undefined ? { ...args, token: options.token } : args;
    const response = await this.socket.request(command, withToken, options.timeout ?? this.config.requestTimeout);
    if (response.success === false) throw new PipelineError(response.code ?? 'FAILED', response.message ?? `${command} failed`, command, response.details);
    return (response.body ?? {}) as T;
  }

  async ping(token?: string): Promise<void> {
    await this.call('rrext_ping', undefined, token !== undefined ? { token } : {});
  }

  validate(options: { pipeline: Record<string, unknown>; source?: string }): Promise<ValidationResult> {
    return this.call('rrext_validate', { pipeline: options.pipeline, ...(options.source !== undefined ? { source: options.source } : {}) });
  }

  /**
   * Starts a task running a pipeline (`filepath`: a JSON file, unwrapped from
   * `{pipeline: {...}}`; or `pipeline`); answers `{token, ...}` once it runs.
   * sidex adds `drainMs`: how long a terminate lets items in progress finish.
   */
  async use(
    options: {
      token?: string;
      filepath?: string;
      pipeline?: Record<string, unknown>;
      source?: string;
      threads?: number;
      useExisting?: boolean;
      args?: string[];
      ttl?: number;
      name?: string;
      env?: Record<string, string>;
      drainMs?: number;
    } = {},
  ): Promise<UseResult> {
    const { filepath, pipeline, env, ...rest } = options;
    if (!pipeline && !filepath) throw new PipelineError('INVALID_PIPELINE', 'Pipeline configuration or file path is required and must be specified', 'execute');
    let config = pipeline;
    if (!config) {
      const parsed = JSON.parse(await readFile(filepath!, 'utf8')) as Record<string, unknown>;
      config = (parsed.pipeline as Record<string, unknown> | undefined) ?? parsed;
    }
    const rocketEnv = Object.fromEntries(Object.entries({ ...this.env, ...env }).filter((e): e is [string, string] => e[0].startsWith('ROCKETRIDE_') && typeof e[1] === 'string'));
    const name = rest.name ?? (filepath ? filepath.replace(/^.*[\\/]/, '').replace(/\.pipe(?:\.json)?$|\.json$/, '') : undefined);
    const body = await this.call<UseResult>('execute', {
      ...rest,
      pipeline: rest.source !== undefined ? { ...config, source: rest.source } : config,
      args: rest.args ?? [],
      ...(Object.keys(rocketEnv).length > 0 ? { env: rocketEnv } : {}),
      ...(name !== undefined ? { name } : {}),
    });
    if (!body.token) throw new PipelineError('BAD_REPLY', 'Server did not return a task token in successful response', 'execute');
    return body;
  }

  /**
   * Terminates a task: from now on it accepts no item, items in progress
   * finish, then it ends (it cannot be restarted). Resolves once it has ended.
   * sidex adds `drainMs` (bring the deadline closer) and `force` (cancel now).
   */
  async terminate(token: string, options: { drainMs?: number; force?: boolean } = {}): Promise<void> {
    await this.call('terminate', { ...options }, { token });
  }

  async restart(options: { token?: string; projectId: string; source: string; pipeline: Record<string, unknown> }): Promise<void> {
    await this.call('restart', { ...(options.token ? { token: options.token } : {}), projectId: options.projectId, source: options.source, pipeline: options.pipeline });
  }

  getTaskStatus(token: string): Promise<TaskStatus> {
    return this.call<TaskStatus>('rrext_get_task_status', undefined, { token });
  }

  /** The token of the task running a project's source, or undefined when none does. */
  async getTaskToken(options: { projectId: string; source: string }): Promise<string | undefined> {
    try {
      return (await this.call<{ token?: string }>('rrext_get_token', { projectId: options.projectId, source: options.source })).token;
    } catch (err) {
      if ((err as PipelineError).code === 'TASK_NOT_FOUND') return undefined;
      throw err;
    }
  }

  /** The pipeline of a running task, as use() got it. */
  async getTaskPipeline(token: string): Promise<Record<string, unknown> | undefined> {
    return (await this.call<{ pipeline?: Record<string, unknown> }>('rrext_get_pipeline', undefined, { token })).pipeline;
  }

  /** Every service (provider) the server runs, in RocketRide's service-definition shape. */
  getServices(): Promise<{ services: Record<string, Record<string, unknown>>; version?: number }> {
    return this.call('rrext_services', {});
  }

  /** One service's definition; an unknown name rejects. */
  async getService(service: string): Promise<Record<string, unknown> | undefined> {
    if (!service) throw new PipelineError('INVALID_ARGUMENT', 'Service name is required', 'rrext_services');
    return this.call('rrext_services', { service });
  }

  // ---- file store (rrext_store) --------------------------------------------------------

  private get store(): FileStoreCalls {
    return new FileStoreCalls(
      (command, args) => this.call(command, args),
      async (command, args) => {
        if (!this.socket) throw new PipelineError('NOT_CONNECTED', 'Server is not connected: call connect() first', command);
        return this.socket.request(command, args, this.config.requestTimeout);
      },
    );
  }

  fsOpen(path: string, mode: 'r' | 'w' = 'r'): Promise<{ handle: string; size?: number }> {
    return this.store.open(path, mode);
  }

  fsRead(handle: string, offset?: number, length?: number): Promise<Uint8Array> {
    return this.store.read(handle, offset, length);
  }

  fsWrite(handle: string, data: Uint8Array): Promise<number> {
    return this.store.write(handle, data);
  }

  fsClose(handle: string, mode: 'r' | 'w'): Promise<void> {
    return this.store.close(handle, mode);
  }

  fsDelete(path: string): Promise<void> {
    return this.store.delete(path);
  }

  fsListDir(path = ''): Promise<{ entries: StoreEntry[]; count: number }> {
    return this.store.listDir(path);
  }

  fsMkdir(path: string): Promise<void> {
    return this.store.mkdir(path);
  }

  fsRmdir(path: string, recursive = false): Promise<void> {
    return this.store.rmdir(path, recursive);
  }

  fsStat(path: string): Promise<{ exists: boolean; type?: 'file' | 'dir'; size?: number; modified?: number }> {
    return this.store.stat(path);
  }

  fsRename(oldPath: string, newPath: string): Promise<void> {
    return this.store.rename(oldPath, newPath);
  }

  async fsReadString(path: string): Promise<string> {
    return new TextDecoder().decode(await this.store.readAll(path));
  }

  fsWriteString(path: string, text: string): Promise<void> {
    return this.store.writeAll(path, new TextEncoder().encode(text));
  }

  async fsReadJson<T = unknown>(path: string): Promise<T> {
    return JSON.parse(await this.fsReadString(path)) as T;
  }

  fsWriteJson(path: string, value: unknown): Promise<void> {
    return this.fsWriteString(path, JSON.stringify(value));
  }

  /** sidex: the tasks that have not ended. */
  async getTasks(): Promise<TaskSummary[]> {
    return (await this.call<{ tasks: TaskSummary[] }>('rrext_get_tasks')).tasks;
  }

  // ---- data ---------------------------------------------------------------------------

  async pipe(token: string, objinfo: Record<string, unknown> = {}, mimeType?: string, provider?: string): Promise<DataPipe> {
    return new DataPipe(this, token, objinfo, mimeType, provider);
  }

  /** One item: open, write, close; answers its result. A pipe that fails before its close is given up. */
  async send(token: string, data: string | Uint8Array, objinfo: Record<string, unknown> = {}, mimetype?: string): Promise<PipelineResult | undefined> {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new PipelineError('INVALID_DATA', 'data must be either a string or Uint8Array', 'rrext_process');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const pipe = await this.pipe(token, { ...objinfo, size: bytes.length || 1 }, mimetype);
    await pipe.open();
    try {
      await pipe.write(bytes);
    } catch (err) {
      await pipe.abandon().catch(() => {});
      throw err;
    }
    return pipe.close();
  }

  // ---- events ---------------------------------------------------------------------------

  /** Adds event types to a monitor (`{token}`, or `{token: '*'}` for every task); the merged set is what the server is sent. */
  async addMonitor(key: MonitorKey, types: string[]): Promise<void> {
    const id = monitorId(key);
    const entry = this.monitors.get(id) ?? { key, types: new Map<string, number>() };
    this.monitors.set(id, entry);
    for (const t of types) entry.types.set(t, (entry.types.get(t) ?? 0) + 1);
    try {
      await this.syncMonitor(entry);
    } catch (err) {
      for (const t of types) uncount(entry.types, t);
      if (entry.types.size === 0) this.monitors.delete(id);
      throw err;
    }
  }

  async removeMonitor(key: MonitorKey, types: string[]): Promise<void> {
    const id = monitorId(key);
    const entry = this.monitors.get(id);
    if (!entry) return;
    for (const t of types) uncount(entry.types, t);
    if (entry.types.size === 0) this.monitors.delete(id);
    await this.syncMonitor(entry);
  }

  /** @deprecated as in RocketRide's client: use addMonitor / removeMonitor. */
  async setEvents(token: string, eventTypes: string[], pipeId?: number): Promise<void> {
    await this.call('rrext_monitor', { types: eventTypes, ...(pipeId !== undefined ? { pipeId } : {}) }, { token });
  }

  /** Every event the server sends; calls the `onEvent` of the config. Subclasses may override it. */
  async onEvent(message: DapMessage): Promise<void> {
    if (message.event === 'apaevt_sse') {
      const body = (message.body ?? {}) as { pipe_id?: number; type?: string; data?: Record<string, unknown> };
      const callback = body.pipe_id !== undefined ? this.sseCallbacks.get(body.pipe_id) : undefined;
      if (callback) await Promise.resolve(callback(body.type ?? '', body.data ?? {})).catch(() => {});
    }
    await this.config.onEvent?.(message);
  }

  /** `onSSE` of the pipes that asked for one, by pipe id. */
  private readonly sseCallbacks = new Map<number, SseCallback>();

  /**
   * RocketRide's `chat`: asks a question (a Question, or anything with
   * `toDict()`, or its plain object) of a task whose source is `chat`; answers
   * the item's result (`answers`). `onSSE` hears what components stream for it
   * (llm_openai: `token` pieces of the answer, then `answer`).
   */
  async chat(options: { token: string; question: unknown; onSSE?: SseCallback }): Promise<PipelineResult> {
    const { token, question, onSSE } = options;
    const dict = question && typeof (question as { toDict?: unknown }).toDict === 'function' ? (question as { toDict(): unknown }).toDict() : question;
    const pipe = await this.pipe(token, {}, 'application/rocketride-question', 'chat');
    await pipe.open();
    const pipeId = pipe.pipeId!;
    if (onSSE) {
      this.sseCallbacks.set(pipeId, onSSE);
      await this.setEvents(token, ['SSE'], pipeId);
    }
    try {
      await pipe.write(new TextEncoder().encode(JSON.stringify(dict)));
      return (await pipe.close()) as PipelineResult;
    } finally {
      this.sseCallbacks.delete(pipeId);
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private async establish(timeout = this.config.connectTimeout ?? 10_000): Promise<ConnectResult> {
    const url = serviceUrl(this.uri);
    const socket = await DapSocket.open(
      url,
      {
        onEvent: (message) => {
          this.onEvent(message).catch(() => {}); // a failing handler does not break the connection
        },
        onLost: (reason) => void this.lost(socket, reason),
      },
      timeout,
    );
    const auth = await socket.request('auth', { auth: this.apiKey, clientName: this.config.clientName ?? 'sidex PipelineClient', clientVersion: this.config.clientVersion ?? '0.1.0' }, timeout);
    if (!auth.success) {
      await socket.close();
      throw new PipelineError(auth.code ?? 'UNAUTHORIZED', `authentication refused by ${url}: ${auth.message ?? 'no reason given'}`, 'auth');
    }
    this.socket = socket;
    this.connectResult = auth.body as ConnectResult;
    this.reconnectDelay = 500;
    this.retryingSince = undefined;
    for (const entry of this.monitors.values()) await this.syncMonitor(entry).catch(() => {});
    await this.config.onConnected?.(url);
    return this.connectResult;
  }

  private async syncMonitor(entry: { key: MonitorKey; types: Map<string, number> }): Promise<void> {
    if (!this.socket) return;
    const types = [...entry.types.keys()];
    if ('token' in entry.key) await this.call('rrext_monitor', { types }, { token: entry.key.token });
    else await this.call('rrext_monitor', { projectId: entry.key.projectId, source: entry.key.source, types, ...(entry.key.pipeId !== undefined ? { pipeId: entry.key.pipeId } : {}) });
  }

  private async dropSocket(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    this.connectResult = undefined;
    await socket?.close();
  }

  private async lost(socket: DapSocket, reason: string): Promise<void> {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.connectResult = undefined;
    await this.config.onDisconnected?.(reason, true);
    if (this.config.persist && !this.manualDisconnect) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.retryingSince ??= Date.now();
    if (this.config.maxRetryTime !== undefined && Date.now() - this.retryingSince >= this.config.maxRetryTime) return;
    this.reconnectTimer = setTimeout(() => {
      if (this.manualDisconnect) return;
      this.establish().catch(async (err: Error) => {
        await this.config.onConnectError?.(err);
        if (err instanceof PipelineError && err.command === 'auth') return; // the same key would be refused again
        this.reconnectDelay = Math.min(this.reconnectDelay + 500, 5000);
        this.scheduleReconnect();
      });
    }, this.reconnectDelay);
  }
}

const monitorId = (key: MonitorKey) => ('token' in key ? `t:${key.token}` : `p:${key.projectId}.${key.source}.${key.pipeId ?? ''}`);

function uncount(types: Map<string, number>, type: string): void {
  const n = types.get(type) ?? 0;
  if (n <= 1) types.delete(type);
  else types.set(type, n - 1);
}
