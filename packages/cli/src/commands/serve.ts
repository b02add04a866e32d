import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { daemonConfig, daemonLog, retentionOptions, type RetentionFlags, shownUrl, startFailed, untilSignal } from './daemon.js';

interface ServeFlags extends RetentionFlags {
  host?: string;
  advertiseHost?: string;
  port?: string;
  dataDir?: string;
  project?: string;
  store?: string;
  fileStore?: string;
  config?: string;
  logLevel?: string;
  logFile?: string;
  logFileMaxMb?: string;
  logFileKeep?: string;
  outputLimitMb?: string;
  memoryLimitMb?: string;
  pidsLimit?: string;
  permissions?: boolean;
  isolation?: string;
  network?: string;
  concurrency?: string;
  maxQueued?: string;
  queue?: string;
  lossMs?: string;
}

export function registerServe(program: Command): void {
  retentionOptions(
    program
      .command('serve')
      .description('run the sidex server: the Codebolt WebSocket dialect at /codebolt, the RocketRide dialect at /task/service and /task, and the REST API at /v1, on one port')
      .option('--host <host>', 'address to bind (env SIDEX_HOST; default 127.0.0.1)')
      .option('--advertise-host <host>', 'host at which executions reach this server (Codebolt-built blocks connect back): in a cluster, the name workers know it by (env SIDEX_ADVERTISE_HOST; default the bound host)')
      .option('--port <port>', 'port; 0 picks a free one (env SIDEX_PORT; default 5565)')
      .option('--data-dir <dir>', 'data directory: records, logs, API key (env SIDEX_DATA_DIR; default ./.sidex)')
      .option('--project <dir>', 'project root for .codebolt/actionblocks (env SIDEX_PROJECT; default the current directory)')
      .option('--store <spec>', 'execution store: SQLite in the data directory by default, postgres://..., or memory: (env SIDEX_STORE)'),
  )
    .option('--file-store <dir>', "RocketRide's file store (rrext_store); give a cluster's servers one shared directory (env SIDEX_FILE_STORE; default <data-dir>/store)")
    .option('--output-limit-mb <n>', 'default most output one execution may write, MB (env SIDEX_OUTPUT_LIMIT_MB; default 1024)')
    .option('--memory-limit-mb <n>', "default memory limit of an execution's whole process tree, MB (env SIDEX_MEMORY_LIMIT_MB; default none)")
    .option('--pids-limit <n>', 'default most processes and threads of one execution at once (env SIDEX_PIDS_LIMIT; default 1024)')
    .option('--permissions', "run executions under Node's permission model: each reads only its own scratch directory and the block roots (env SIDEX_PERMISSIONS=true)")
    .option('--isolation <mode>', 'auto (a sandbox per execution where the kernel allows it), sandbox (refuse to start without) or process (env SIDEX_ISOLATION; default auto)')
    .option('--network <mode>', "executions' default network: all, or none (loopback only) (env SIDEX_NETWORK; default all)")
    .option('--concurrency <n>', 'executions running at once; more wait in the queue (env SIDEX_MAX_CONCURRENT; default 64)')
    .option('--max-queued <n>', 'executions that may wait for a slot; more are refused with QUEUE_FULL (env SIDEX_MAX_QUEUED; default 10000)')
    .option('--queue <url>', 'run nothing here: executions go to the `sidex worker`s of this Redis (redis://host:port[/db]; needs --store postgres://...) (env SIDEX_QUEUE)')
    .option('--loss-ms <ms>', 'with --queue: a dead worker\'s executions end supervisor_lost within this (env SIDEX_LOSS_MS; default 10000)')
    .option('--config <file>', 'YAML config file (env SIDEX_CONFIG; default ./sidex.yml or ./sidex.yaml when present)')
    .option('--log-file <file>', 'write the server log to this file instead of stderr, rolled daily and by size (env SIDEX_LOG_FILE)')
    .option('--log-file-max-mb <mb>', 'roll the log file at this size (env SIDEX_LOG_FILE_MAX_MB; default 10)')
    .option('--log-file-keep <n>', 'rolled log files kept (env SIDEX_LOG_FILE_KEEP; default 7)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env SIDEX_LOG_LEVEL; default info)')
    .action(async (flags: ServeFlags) => {
      process.exitCode = await serve(flags);
    });
}

async function serve(flags: ServeFlags): Promise<number> {
  const config = daemonConfig('serve', { ...flags });
  if (typeof config === 'number') return config;
  // Loaded here, not at the top: other commands start without the server's modules.
  const [log, { startServer }] = await Promise.all([daemonLog(config), import('sidex/server')]);
  let server;
  try {
    server = await startServer(config, log);
  } catch (err) {
    return startFailed('serve', err);
  }
  const { url, apiKey } = server;
  const keyLine = apiKey.source === 'generated' ? `sidex API key (generated, stored in ${apiKey.file}, shown once): ${apiKey.key}\n` : '';
  const { mode, reason } = server.isolation;
  const isolationLine =
    mode === 'sandbox' ? 'isolation: sandbox (bubblewrap)' : mode === 'workers' ? `isolation: on the workers of ${shownUrl(config.queue)}` : `isolation: process, NOT sandboxed (${reason})`;
  // Its stop signals are handled before it says it is ready: a supervisor may send one as soon as it reads the line.
  const stopped = untilSignal(() => server.close(), log);
  process.stdout.write(`${keyLine}sidex ${url} (Codebolt WebSocket: ${url.replace(/^http/, 'ws')}/codebolt, RocketRide DAP: ${url.replace(/^http/, 'ws')}/task/service, REST: ${url}/v1, data: ${config.dataDir})\n${isolationLine}\n`);
  await stopped;
  return EXIT.completed;
}
