export { Sidex, type SidexOptions } from './sidex.js';
export { SidexError } from './errors.js';
export * from './engine/index.js';
export * from './services/index.js';
export type { ExecutionStore, ListFilter, ListPage, PruneCandidate, StoreUsage } from './store/execution-store.js';
export { MemoryStore } from './store/memory-store.js';
export { openStore, SQLITE_FILE } from './store/open-store.js';
export type { RecoveryReport } from './engine/recovery.js';
export type { ActionBlock } from './catalog/action-blocks/action-block.js';
