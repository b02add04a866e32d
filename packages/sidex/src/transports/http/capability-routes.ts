import type { CapabilityReplies } from '../replies/capability-replies.js';
import { CapabilitiesQuery, CapabilityDetailQuery, CapabilityExecutionParams, CapabilityNameParams, StartCapabilityBody } from './capability-schemas.js';
import { route, type RouteSpec } from './route.js';
import { StopBody } from './schemas.js';

const TAG = 'capabilities';

/** `/v1/capabilities`, `/v1/executors`, `/v1/capability-executions`: the capability dialect over REST. */
export function capabilityRoutes(replies: CapabilityReplies): RouteSpec[] {
  return [
    route({
      method: 'GET',
      url: '/v1/capabilities',
      operationId: 'listCapabilities',
      summary: 'Skills, powers and talents of the project, the global directory and the built-ins; broken ones are warnings',
      tag: TAG,
      query: CapabilitiesQuery,
      handle: ({ query }) =>
        replies.listCapabilities({
          ...(query.type ? { type: query.type } : {}),
          ...(query.tag ? { tags: query.tag.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
          ...(query.author !== undefined ? { author: query.author } : {}),
        }),
    }),
    route({
      method: 'GET',
      url: '/v1/capabilities/:name',
      operationId: 'getCapabilityDetail',
      summary: 'One capability, with the executor that would run it and its SKILL.md instructions',
      tag: TAG,
      params: CapabilityNameParams,
      query: CapabilityDetailQuery,
      handle: ({ params, query }) => replies.getCapabilityDetail(params.name, query.type),
    }),
    route({
      method: 'POST',
      url: '/v1/capabilities/:name/start',
      operationId: 'startCapability',
      summary: 'Start a capability on its executor; answers once it runs (or failed to start), with its executionId',
      tag: TAG,
      params: CapabilityNameParams,
      body: StartCapabilityBody,
      successStatus: 201,
      handle: ({ params, body }) => replies.startCapability({ capabilityName: params.name, capabilityType: body.type, params: body.params, timeout: body.timeout, options: body.options }),
    }),
    route({
      method: 'GET',
      url: '/v1/executors',
      operationId: 'listExecutors',
      summary: 'Capability executors and the types each supports',
      tag: TAG,
      handle: () => replies.listExecutors(),
    }),
    route({
      method: 'GET',
      url: '/v1/capability-executions',
      operationId: 'getActiveExecutions',
      summary: 'Capability executions that have not ended (starting, running, stopping)',
      tag: TAG,
      handle: () => replies.getActiveExecutions(),
    }),
    route({
      method: 'GET',
      url: '/v1/capability-executions/:id',
      operationId: 'getExecutionStatus',
      summary: 'A capability execution: status, result or error, progress, output',
      tag: TAG,
      params: CapabilityExecutionParams,
      handle: ({ params }) => replies.getExecutionStatus(params.id),
    }),
    route({
      method: 'POST',
      url: '/v1/capability-executions/:id/stop',
      operationId: 'stopCapability',
      summary: 'Stop a capability execution with the stop protocol; answers when no process of it remains',
      tag: TAG,
      params: CapabilityExecutionParams,
      body: StopBody,
      handle: ({ params, body }) => replies.stopCapability(params.id, body ?? undefined),
    }),
    route({
      method: 'POST',
      url: '/v1/capability-executions/:id/resume',
      operationId: 'resumeCapability',
      summary: 'Run an ended capability execution again from its last checkpoint; answers once the new one runs',
      tag: TAG,
      params: CapabilityExecutionParams,
      successStatus: 201,
      handle: ({ params }) => replies.resume(params.id),
    }),
  ];
}
