import type { WorkersReplies } from '../replies/workers-replies.js';
import { route, type RouteSpec } from './route.js';

/** `/v1/workers`: who runs the executions. */
export function workerRoutes(replies: WorkersReplies): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/v1/workers',
      operationId: 'listWorkers',
      summary:
        "Whether the server is clustered; its workers (tags, concurrency, running, heartbeat; stale ones marked) and each queue's waiting and active starts; without a cluster, the server's own engine's load",
      tag: 'workers',
      handle: () => replies.describe(),
    }),
  ];
}
