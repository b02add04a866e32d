import type { Command } from 'commander';
import { isSidexError } from 'sidex/errors';
import { loadConfig, type ServerConfig } from 'sidex/config';
import { EXIT } from '../exit-codes.js';

interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  project?: string;
  store?: string;
  config?: string;
  logLevel?: string;
  logFile?: string;
  logFileMaxMb?: string;
  logFileKeep?: string;
  retainDays?: string;
  retainExecutions?: string;
  retainLogMb?: string;
  outputLimitMb?: string;
  permissions?: boolean;
  isolation?: string;
  network?: string;
  concurrency?: string;
  maxQueued?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the sidex server: the Codebolt WebSocket dialect at /codebolt, the RocketRide dialect at /task/service and /task, and the REST API at /v1, on one port')
    .option('--host <host>', 'address to bind (env SIDEX_HOST; default 127.0.0.1)')
    .option('--port <port>', 'port; 0 picks a free one (env SIDEX_PORT; default 5565)')
    .option('--data-dir <dir>', 'data directory: records, logs, API key (env SIDEX_DATA_DIR; default ./.sidex)')
    .option('--project <dir>', 'project root for .codebolt/actionblocks (env SIDEX_PROJECT; default the current directory)')
    .option('--store <spec>', 'execution store: SQLite in the data directory by default, postgres://..., or memory: (env SIDEX_STORE)')
    .option('--retain-days <n>', 'keep executions of the last N days (env SIDEX_RETAIN_DAYS; default all)')
    .option('--retain-executions <n>', 'keep the newest N executions (env SIDEX_RETAIN_EXECUTIONS)')
    .option('--retain-log-mb <n>', 'keep at most N MB of captured output (env SIDEX_RETAIN_LOG_MB)')
    .option('--output-limit-mb <n>', 'default most output one execution may write, MB (env SIDEX_OUTPUT_LIMIT_MB; default 1024)')
    .option('--permissions', "run executions under Node's permission model: each reads only its own scratch directory and the block roots (env SIDEX_PERMISSIONS=true)")
    .option('--isolation <mode>', 'auto (a sandbox per execution where the kernel allows it), sandbox (refuse to start without) or process (env SIDEX_ISOLATION; default auto)')
    .option('--network <mode>', "executions' default network: all, or none (loopback only) (env SIDEX_NETWORK; default all)")
    .option('--concurrency <n>', 'executions running at once; more wait in the queue (env SIDEX_MAX_CONCURRENT; default 64)')
    .option('--max-queued <n>', 'executions that may wait for a slot; more are refused with QUEUE_FULL (env SIDEX_MAX_QUEUED; default 10000)')
    .option('--config <file>', 'YAML config file (env SIDEX_CONFIG; default ./sidex.yml when present)')
    .option('--log-file <file>', 'write the server log to this file instead of stderr, rolled daily and by size (env SIDEX_LOG_FILE)')
    .option('--log-file-max-mb <mb>', 'roll the log file at this size (env SIDEX_LOG_FILE_MAX_MB; default 10)')
    .option('--log-file-keep <n>', 'rolled log files kept (env SIDEX_LOG_FILE_KEEP; default 7)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env SIDEX_LOG_LEVEL; default info)')
    .action(async (flags: ServeFlags) => {
      process.exitCode = await serve(flags);
    });
}

async function serve(flags: ServeFlags): Promise<number> {
  const { config: configFile, concurrency, ...settings } = flags;
  let config;
  try {
    config = loadConfig({
      flags: { ...settings, maxConcurrent: concurrency },
      flagNames: { maxConcurrent: '--concurrency' },
      env: process.env,
      cwd: process.cwd(),
      ...(configFile ? { configFile } : {}),
    });
  } catch (err) {
    process.stderr.write(`sidex serve: invalid configuration: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  // Loaded here, not at the top: other commands start without the server's modules.
  const [{ pino }, { startServer }] = await Promise.all([import('pino'), import('sidex/server')]);
  const log = pino({ level: config.logLevel, base: { service: 'sidex' } }, logDestination(pino, config));
  let server;
  try {
    server = await startServer(config, log);
  } catch (err) {
    // Settings this machine cannot honour are the configuration's fault too.
    const invalid = isSidexError(err) && ['INVALID_CONFIG', 'SANDBOX_UNAVAILABLE', 'NETWORK_UNAVAILABLE'].includes(err.code);
    process.stderr.write(`sidex serve: ${invalid ? 'invalid configuration: ' : ''}${(err as Error).message}\n`);
    return invalid ? EXIT.usage : EXIT.failed;
  }
  const { url, apiKey } = server;
  const keyLine = apiKey.source === 'generated' ? `sidex API key (generated, stored in ${apiKey.file}, shown once): ${apiKey.key}\n` : '';
  const { mode, reason } = server.sidex.engine.isolation;
  const isolationLine = mode === 'sandbox' ? 'isolation: sandbox (bubblewrap)' : `isolation: process, NOT sandboxed (${reason})`;
  process.stdout.write(`${keyLine}sidex ${url} (Codebolt WebSocket: ${url.replace(/^http/, 'ws')}/codebolt, RocketRide DAP: ${url.replace(/^http/, 'ws')}/task/service, REST: ${url}/v1, data: ${config.dataDir})\n${isolationLine}\n`);
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        log.warn({ signal }, 'second signal: exiting at once');
        process.exit(EXIT.failed);
      }
      log.info({ signal }, 'signal received');
      server
        .close()
        .catch((err: unknown) => log.error({ err }, 'shutdown failed'))
        .finally(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return EXIT.completed;
}

/**
 * stderr, or a file rolled by pino-roll (in a worker thread, flushed at exit):
 * daily and at `logFileMaxMb`, keeping `logFileKeep` rolled files.
 */
function logDestination(pino: typeof import('pino').pino, config: ServerConfig) {
  if (!config.logFile) return pino.destination({ dest: 2, sync: true });
  const size = `${Math.max(1, Math.round(config.logFileMaxMb * 1024))}k`;
  return pino.transport({ target: 'pino-roll', options: { file: config.logFile, frequency: 'daily', size, mkdir: true, limit: { count: config.logFileKeep } } });
}
