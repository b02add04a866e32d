import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { SidexError } from '../errors.js';
import { Sidex } from '../sidex.js';
import { CodeboltServer } from '../transports/codebolt/codebolt-server.js';
import { refuse } from '../transports/ws/refuse-upgrade.js';
import { DapServer } from '../transports/dap/dap-server.js';
import { EventHub } from '../transports/events/event-hub.js';
import { buildHttpApp } from '../transports/http/http-app.js';
import { serverMetrics } from '../metrics/server-metrics.js';
import { DashboardSessions } from '../transports/http/dashboard/sessions.js';
import { VERSION } from '../version.js';
import { API_KEY_FILE, KeyCheck, readKeyFile, resolveApiKey, type ResolvedKey } from './api-key.js';
import type { ServerConfig } from './config.js';
import { connectHost, isLoopbackHost } from './loopback.js';
import { sidexOptions } from './sidex-options.js';
import { logEngineModes } from './engine-modes.js';
import { Engine } from '../engine/engine.js';
import { shownIsolation } from '../engine/sandbox/isolation.js';
import type { ExecutionEngine } from '../engine/execution-engine.js';
import { openQueuedSidex } from '../cluster/queued-sidex.js';

export interface ServerIsolation {
  mode: 'sandbox' | 'process' | 'workers';
  reason?: string;
}

function isolationOf(engine: ExecutionEngine): ServerIsolation {
  return engine instanceof Engine ? shownIsolation(engine.isolation) : { mode: 'workers' };
}

export interface RunningServer {
  /** `http://host:port` it listens on. */
  url: string;
  port: number;
  apiKey: ResolvedKey;
  sidex: Sidex<ExecutionEngine>;
  /** How executions are isolated: `workers` when they run on a cluster's workers (each says its own). */
  isolation: ServerIsolation;
  /** Graceful shutdown: refuses new work, stops every execution with the stop protocol, closes. Idempotent. */
  close(): Promise<void>;
}

/** One `sidex serve`: the engine, the Codebolt and RocketRide (DAP) WebSocket dialects and the REST API on one port. */
export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  if (!isLoopbackHost(config.host) && !config.apiKey && !readKeyFile(path.join(config.dataDir, API_KEY_FILE))) {
    throw new SidexError(
      'INVALID_CONFIG',
      `--host ${config.host} is reachable from other machines: set SIDEX_API_KEY (or apiKey in the config file) before binding it`,
      { field: 'host' },
    );
  }
  // Codebolt-built blocks connect back to the port this server listens on, known once it does.
  let listeningPort: number | undefined;
  const options = sidexOptions(config, { port: () => listeningPort, host: connectHost(config.advertiseHost ?? config.host) });
  // With a queue, executions run on `sidex worker`s: this server runs none (docs/cluster.md).
  const sidex: Sidex<ExecutionEngine> = config.queue ? await openQueuedSidex(options, { ...config, queue: config.queue, onError: (message, err) => log.warn({ err }, message) }) : await Sidex.open(options);
  // After the store and retention are accepted: a refused start writes no key file.
  let apiKey: ResolvedKey;
  try {
    apiKey = resolveApiKey(config.dataDir, config.apiKey);
  } catch (err) {
    await sidex.close({ graceMs: 0 });
    throw err;
  }
  sidex.engine.on('storeError', ({ id, error }) => log.error({ id, err: error }, 'store write failed; the execution goes on'));
  sidex.engine.on('guardianRestarted', ({ pid, previousPid, exit, delayMs }) =>
    log.warn({ pid, previousPid, exit, delayMs }, 'the guardian process died; a new one took its place'),
  );
  if (sidex.recovery) log.info({ recovery: sidex.recovery }, 'recovered what the previous run left');
  if (sidex.recovery?.notRemoved) log.warn({ notRemoved: sidex.recovery.notRemoved }, 'scratch directories of an earlier run could not be removed: remove them by hand');
  const auth = new KeyCheck(apiKey.key);
  const hub = new EventHub(sidex.services.sideExecution);
  const startedAt = Date.now();
  const isolation = isolationOf(sidex.engine);
  if (sidex.engine instanceof Engine) logEngineModes(sidex.engine, log);
  else log.info({ queue: config.queue }, 'executions run on the workers of the queue');
  // The WebSocket servers are built after the app; their counts are read at scrape time.
  let connections: () => Record<string, number> = () => ({});
  const metrics = serverMetrics({ engine: sidex.engine, pipelines: sidex.services.pipelines, connections: () => connections() });
  const app = buildHttpApp({
    replies: sidex.replies,
    pipelines: sidex.services.pipelines,
    auth,
    log,
    version: VERSION,
    health: () => ({ uptimeMs: Date.now() - startedAt, running: sidex.engine.runningCount, queued: sidex.engine.queuedCount, isolation }),
    hub,
    dashboard: new DashboardSessions(),
    metrics: { contentType: metrics.contentType, text: metrics.text, ...(config.metricsToken ? { token: new KeyCheck(config.metricsToken) } : {}) },
  });
  const codebolt = new CodeboltServer({ replies: sidex.replies, blocks: sidex.codeboltBlocks, hub, auth, log });
  const dap = new DapServer({ pipelines: sidex.services.pipelines, auth, log, version: VERSION });
  connections = () => ({ codebolt: codebolt.connections, rocketride: dap.connections });
  app.server.on('upgrade', (req, socket, head) => {
    if (!codebolt.handleUpgrade(req, socket, head) && !dap.handleUpgrade(req, socket, head)) {
      // The path alone: the query may hold the API key (?token=), which is not said back.
      refuse(socket, 404, 'Not Found', { success: false, error: `no WebSocket endpoint at ${req.url?.split('?')[0]}; use /codebolt or /task/service`, code: 'NOT_FOUND' });
    }
  });

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await sidex.close({ graceMs: 0 });
    throw new SidexError('LISTEN_FAILED', `cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`, { field: 'port' });
  }
  const { port } = app.server.address() as AddressInfo;
  listeningPort = port;
  const host = config.host.includes(':') && !config.host.startsWith('[') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      log.info('shutting down: stopping running executions');
      await sidex.close({ graceMs: config.shutdownGraceMs });
      hub.close();
      metrics.close();
      await codebolt.close();
      await dap.close();
      await app.close();
      log.info('shut down');
    })());

  return { url: `http://${host}:${port}`, port, apiKey, sidex, isolation, close };
}
