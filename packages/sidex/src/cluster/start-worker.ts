import os from 'node:os';
import type { Logger } from 'pino';
import { SidexError } from '../errors.js';
import type { ServerConfig } from '../server/config.js';
import { logEngineModes } from '../server/engine-modes.js';
import { sidexOptions } from '../server/sidex-options.js';
import { Sidex } from '../sidex.js';
import { ClusterWorker } from './cluster-worker.js';
import { checkClusterStore } from './queued-sidex.js';
import { redisOptions } from './redis-url.js';

export interface RunningWorker {
  name: string;
  concurrency: number;
  tags: string[];
  sidex: Sidex;
  /** SIGTERM: no new work, its executions finished or stopped within the shutdown grace. Idempotent. */
  close(): Promise<void>;
}

/** Executions a worker runs at once unless told: one per core, as a start costs a core for a moment. */
const defaultConcurrency = () => Math.max(1, os.availableParallelism());

/** `sidex worker`: a local engine (warm pool, sandbox, limits) fed by the cluster's queue. */
export async function startWorker(config: ServerConfig, log: Logger): Promise<RunningWorker> {
  if (!config.queue) throw new SidexError('INVALID_CONFIG', 'sidex worker needs --queue redis://host:port[/db]', { field: 'queue' });
  redisOptions(config.queue); // a bad URL is refused before anything opens
  const store = checkClusterStore(config.store);
  const name = config.name ?? `${os.hostname()}:${process.pid}`;
  const concurrency = config.maxConcurrent ?? defaultConcurrency();
  const tags = config.tags ?? [];
  // Retention prunes the records this worker ran (its store's owner) and their output files here.
  const options = sidexOptions({ ...config, store });
  // Its engine runs what the queue gives it, no more: the queue holds the rest.
  const sidex = await Sidex.open({ ...options, engine: { ...options.engine, worker: name, maxConcurrent: concurrency } });
  sidex.engine.on('storeError', ({ id, error }) => log.error({ id, err: error }, 'store write failed; the execution goes on'));
  if (sidex.recovery?.recovered.length) log.info({ recovery: sidex.recovery }, 'recovered what the previous run left');
  if (sidex.recovery?.notRemoved) log.warn({ notRemoved: sidex.recovery.notRemoved }, 'scratch directories of an earlier run could not be removed: remove them by hand');
  logEngineModes(sidex.engine, log);
  let worker: ClusterWorker;
  try {
    worker = await ClusterWorker.start(sidex, {
      queue: config.queue,
      name,
      concurrency,
      tags,
      shutdownGraceMs: config.shutdownGraceMs,
      ...(config.lossMs !== undefined ? { lossMs: config.lossMs } : {}),
      onError: (message, err) => log.warn({ err }, message),
    });
  } catch (err) {
    await sidex.close({ graceMs: 0 });
    throw err;
  }
  return { name, concurrency, tags, sidex, close: () => worker.close() };
}
