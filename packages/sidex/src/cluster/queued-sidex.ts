import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { SidexError } from '../errors.js';
import { Sidex, type SidexOptions } from '../sidex.js';
import { checkRetention } from '../lifecycle/retention.js';
import { openStore } from '../store/open-store.js';
import { DEFAULT_LOSS_MS } from './cluster-options.js';
import { ClusterPipelineService } from './pipelines/cluster-pipeline-service.js';
import { QueuedEngine } from './queued-engine.js';
import { connectRedis, redisOptions } from './redis-url.js';

export interface QueuedSidexSettings {
  queue: string;
  store?: string | undefined;
  lossMs?: number | undefined;
  maxQueued?: number | undefined;
  onError?: (message: string, err: unknown) => void;
}

/** The shared store a cluster needs: every server and worker reads and writes the same records. */
export function checkClusterStore(store: string | undefined): string {
  if (store && /^postgres(ql)?:\/\//.test(store)) return store;
  // Named in every form, since either may have come from a flag, the environment or the config file.
  throw new SidexError('INVALID_CONFIG', 'a queue (--queue, SIDEX_QUEUE, queue) needs a shared store: give --store (SIDEX_STORE, store) postgres://user:password@host:port/database', { field: 'store' });
}

/** The sidex of `sidex serve --queue`: the same services, over an engine that hands every execution to the workers. */
export async function openQueuedSidex(options: SidexOptions, settings: QueuedSidexSettings): Promise<Sidex<QueuedEngine>> {
  // Before anything opens, a bad URL or retention policy is refused. A server's retention prunes the records
  // it owns: those that never reached a worker (the workers own, and prune, what they ran).
  redisOptions(settings.queue);
  if (options.retention) checkRetention(options.retention);
  const store = await openStore(checkClusterStore(settings.store), options.dataDir);
  let engine: QueuedEngine;
  try {
    engine = await QueuedEngine.open({
      queue: settings.queue,
      store,
      ...(settings.lossMs !== undefined ? { lossMs: settings.lossMs } : {}),
      ...(settings.maxQueued !== undefined ? { maxQueued: settings.maxQueued } : {}),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  // Pipeline tasks stay on the server that started them; the others forward their calls to it (docs/cluster.md).
  let pipelines: ClusterPipelineService | undefined;
  let sidex: Sidex<QueuedEngine> | undefined;
  try {
    const connection = redisOptions(settings.queue);
    const redis = await connectRedis(connection);
    const subscriber = redis.duplicate();
    subscriber.on('error', () => {});
    const links = {
      redis,
      subscriber,
      db: connection.db ?? 0,
      server: `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      ttlMs: settings.lossMs ?? DEFAULT_LOSS_MS,
      ...(settings.onError ? { onError: settings.onError } : {}),
    };
    sidex = new Sidex<QueuedEngine>({
      ...options,
      store,
      storeSpec: undefined,
      createEngine: () => engine,
      createPipelines: (queued, blocks, pipelineOptions) => (pipelines = new ClusterPipelineService(queued, blocks, pipelineOptions, links)),
    });
    await pipelines!.start();
    return sidex;
  } catch (err) {
    if (sidex) await sidex.close({ graceMs: 0 });
    else {
      await engine.close();
      await store.close();
    }
    throw err;
  }
}
