// What the dashboard lives on, as routes like the others (their query
// checked, in the OpenAPI document): every execution's events as they
// happen, and the RocketRide tasks that have not ended.
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { PipelineService } from '../../services/pipeline-service.js';
import type { EventHub } from '../events/event-hub.js';
import { streamEvents } from './event-stream.js';
import { route, type RouteSpec } from './route.js';

const EventStreamQuery = z
  .object({ output: z.string().min(1, 'must not be empty: an execution id').max(200, 'is too long').optional().describe('an execution id: its output too') })
  .strict();

export interface LiveRouteOptions {
  hub?: EventHub | undefined;
  pipelines?: PipelineService | undefined;
  /** An event stream has begun; its function ends it (the server ends open streams as it closes). */
  opened(raw: ServerResponse, end: () => void): void;
}

export function liveRoutes({ hub, pipelines, opened }: LiveRouteOptions): RouteSpec[] {
  const routes: RouteSpec[] = [];
  if (hub) {
    routes.push(
      route({
        method: 'GET',
        url: '/v1/events',
        operationId: 'streamEvents',
        summary: 'Server-sent events of every execution: status, checkpoint and progress; output of the one execution ?output names; resync after events were dropped for a slow reader',
        tag: 'events',
        query: EventStreamQuery,
        produces: ['text/event-stream'],
        handle: async ({ query }, reply) => {
          reply.hijack();
          opened(reply.raw, streamEvents(reply.raw, hub, query.output));
          return undefined;
        },
      }),
    );
  }
  if (pipelines) {
    routes.push(
      route({
        method: 'GET',
        url: '/v1/tasks',
        operationId: 'listLiveTasks',
        summary: 'RocketRide tasks that have not ended: the status and the component graph of each',
        tag: 'tasks',
        handle: async () => ({ success: true, ...(await pipelines.describeTasks()) }),
      }),
    );
  }
  return routes;
}
