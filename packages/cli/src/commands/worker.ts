import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { daemonConfig, daemonLog, retentionOptions, type RetentionFlags, shownUrl, startFailed, untilSignal } from './daemon.js';

interface WorkerFlags extends RetentionFlags {
  queue?: string;
  store?: string;
  name?: string;
  concurrency?: string;
  tags?: string;
  dataDir?: string;
  project?: string;
  isolation?: string;
  network?: string;
  outputLimitMb?: string;
  memoryLimitMb?: string;
  pidsLimit?: string;
  lossMs?: string;
  config?: string;
  logLevel?: string;
}

export function registerWorker(program: Command): void {
  retentionOptions(
    program
      .command('worker')
      .description('run executions from a cluster queue (Redis) on this machine, records in PostgreSQL: see docs/cluster.md')
      .option('--queue <url>', 'the queue: redis://host:port[/db] (env SIDEX_QUEUE)')
      .option('--store <spec>', 'the shared store: postgres://user:password@host:port/database (env SIDEX_STORE)')
      .option('--name <name>', 'its name in the records it runs (env SIDEX_WORKER_NAME; default host:pid)')
      .option('--concurrency <n>', 'executions it runs at once (env SIDEX_MAX_CONCURRENT; default one per core)')
      .option('--tags <a,b>', 'tags it serves: it takes starts that require some of them (env SIDEX_TAGS; at most 4)')
      .option('--data-dir <dir>', 'its data directory: output files, scratch (env SIDEX_DATA_DIR; default ./.sidex)')
      .option('--project <dir>', 'project root for .codebolt/actionblocks, the same as the servers\' (env SIDEX_PROJECT)')
      .option('--isolation <mode>', 'auto, sandbox or process (env SIDEX_ISOLATION; default auto)')
      .option('--network <mode>', "executions' default network: all or none (env SIDEX_NETWORK; default all)"),
  )
    .option('--output-limit-mb <n>', 'default most output one execution may write, MB (env SIDEX_OUTPUT_LIMIT_MB)')
    .option('--memory-limit-mb <n>', "default memory limit of an execution's whole process tree, MB (env SIDEX_MEMORY_LIMIT_MB; default none)")
    .option('--pids-limit <n>', 'default most processes and threads of one execution at once (env SIDEX_PIDS_LIMIT; default 1024)')
    .option('--loss-ms <ms>', 'a dead worker\'s executions end supervisor_lost within this (env SIDEX_LOSS_MS; default 10000)')
    .option('--config <file>', 'YAML config file (env SIDEX_CONFIG; default ./sidex.yml or ./sidex.yaml when present)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env SIDEX_LOG_LEVEL; default info)')
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await work(flags);
    });
}

async function work(flags: WorkerFlags): Promise<number> {
  const config = daemonConfig('worker', { ...flags });
  if (typeof config === 'number') return config;
  const [log, { startWorker }] = await Promise.all([daemonLog(config), import('sidex/cluster')]);
  let worker;
  try {
    worker = await startWorker(config, log);
  } catch (err) {
    return startFailed('worker', err);
  }
  const tags = worker.tags.length ? `, tags ${worker.tags.join(',')}` : '';
  // Its stop signals are handled before it says it is ready: a supervisor may send one as soon as it reads the line.
  const stopped = untilSignal(() => worker.close(), log);
  process.stdout.write(`sidex worker ${worker.name} (queue ${shownUrl(config.queue)}, concurrency ${worker.concurrency}${tags}, data: ${config.dataDir})\n`);
  await stopped;
  return EXIT.completed;
}
