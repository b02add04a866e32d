import { SidexError } from '../errors.js';
import type { ExecutionStore } from './execution-store.js';
import { MemoryStore } from './memory-store.js';

/**
 * The store named by a `--store` spec: `memory:` for now.
 * (SQLite by default and `postgres://...` arrive with the durable store.)
 */
export async function openStore(spec: string | undefined, _dataDir: string): Promise<ExecutionStore> {
  if (spec === undefined || spec === 'memory:') return new MemoryStore();
  throw new SidexError('INVALID_CONFIG', `--store "${spec}" is not a store this build knows (use memory:)`, { field: 'store' });
}
