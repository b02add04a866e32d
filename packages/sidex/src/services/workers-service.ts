import type { WorkersFields } from '@sidex/protocol';
import { Engine } from '../engine/engine.js';
import type { ExecutionEngine } from '../engine/execution-engine.js';

/**
 * Who runs the executions: in a cluster, its workers (their load, tags and
 * heartbeat) and the depth of its queues; otherwise the server's own engine.
 */
export class WorkersService {
  constructor(private readonly engine: ExecutionEngine) {}

  async describe(): Promise<WorkersFields> {
    const cluster = this.engine.workers();
    if (cluster) return { clustered: true, ...(await cluster) };
    const engine = this.engine;
    const none = { clustered: false, workers: [], queues: [] };
    if (!(engine instanceof Engine)) return none;
    return { ...none, local: { running: engine.runningCount, queued: engine.queuedCount, concurrency: engine.maxConcurrent, idleRuntimes: engine.idleRuntimes } };
  }
}
