export { startWorker, type RunningWorker } from './start-worker.js';
export { QueuedEngine } from './queued-engine.js';
export { ClusterWorker } from './cluster-worker.js';
