import { SidexError } from '../errors.js';
import { Sidex, type SidexOptions } from '../sidex.js';
import { openStore } from '../store/open-store.js';
import { QueuedEngine } from './queued-engine.js';
import { redisOptions } from './redis-url.js';

export interface QueuedSidexSettings {
  queue: string;
  store?: string | undefined;
  lossMs?: number | undefined;
  maxQueued?: number | undefined;
}

/** The shared store a cluster needs: every server and worker reads and writes the same records. */
export function checkClusterStore(store: string | undefined): string {
  if (store && /^postgres(ql)?:\/\//.test(store)) return store;
  throw new SidexError('INVALID_CONFIG', '--queue needs a shared store: give --store postgres://user:password@host:port/database', { field: 'store' });
}

/** The sidex of `sidex serve --queue`: the same services, over an engine that hands every execution to the workers. */
export async function openQueuedSidex(options: SidexOptions, settings: QueuedSidexSettings): Promise<Sidex<QueuedEngine>> {
  if (options.retention) {
    throw new SidexError('INVALID_CONFIG', 'retention (--retain-*) is not available with --queue yet: prune the PostgreSQL store instead', { field: 'retention' });
  }
  redisOptions(settings.queue); // a bad URL is refused before anything opens
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
  return new Sidex<QueuedEngine>({ ...options, store, storeSpec: undefined, createEngine: () => engine });
}
