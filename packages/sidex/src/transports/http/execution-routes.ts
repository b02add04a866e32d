import type { CommandService } from '../../services/command-service.js';
import { startSideExecutionReply, writeStdinReply } from '../../services/command-replies.js';
import type { SideExecutionService } from '../../services/side-execution-service.js';
import { writeLogStream, writeRawLog } from './log-stream.js';
import { route, type RouteSpec } from './route.js';
import { CreateExecutionBody, EventsQueryString, ExecutionIdParams, ListExecutionsQuery, LogsQuery, StopBody, WriteStdinBody } from './schemas.js';

const TAG = 'executions';

/** `/v1/executions`: start, list, get, stop, resume, events, logs, a command's stdin. */
export function executionRoutes(service: SideExecutionService, commands: CommandService): RouteSpec[] {
  return [
    route({
      method: 'POST',
      url: '/v1/executions',
      operationId: 'startSideExecution',
      summary: 'Start inline code, an action block or a command (any program); answers once it runs (or failed to start)',
      tag: TAG,
      body: CreateExecutionBody,
      successStatus: 201,
      handle: ({ body }) => startSideExecutionReply(service, commands, body ?? {}),
    }),
    route({
      method: 'POST',
      url: '/v1/executions/:id/stdin',
      operationId: 'writeSideExecutionStdin',
      summary: "Write bytes to a running command's open stdin, and/or close it; answers once queued (at most 16 MB may wait unread)",
      tag: TAG,
      params: ExecutionIdParams,
      body: WriteStdinBody,
      handle: ({ params, body }) => writeStdinReply(commands, { ...body, sideExecutionId: params.id }),
    }),
    route({
      method: 'GET',
      url: '/v1/executions',
      operationId: 'listSideExecutions',
      summary: 'List executions, newest first, with filters and cursor paging',
      tag: TAG,
      query: ListExecutionsQuery,
      handle: ({ query }) => {
        const { status, ...rest } = query;
        return service.list({ ...rest, ...(status ? { status: status.split(',').map((s) => s.trim()) } : {}) });
      },
    }),
    route({
      method: 'GET',
      url: '/v1/executions/counts',
      operationId: 'countSideExecutions',
      summary: 'How many executions the store holds, by status',
      tag: TAG,
      handle: () => service.counts(),
    }),
    route({
      method: 'GET',
      url: '/v1/executions/:id',
      operationId: 'getSideExecutionStatus',
      summary: 'Status, result, output, memory and CPU of an execution',
      tag: TAG,
      params: ExecutionIdParams,
      handle: ({ params }) => service.getStatus(params.id),
    }),
    route({
      method: 'POST',
      url: '/v1/executions/:id/stop',
      operationId: 'stopSideExecution',
      summary: 'Stop an execution with the stop protocol; answers when no process of it remains',
      tag: TAG,
      params: ExecutionIdParams,
      body: StopBody,
      handle: ({ params, body }) => service.stop(params.id, body ?? undefined),
    }),
    route({
      method: 'POST',
      url: '/v1/executions/:id/resume',
      operationId: 'resumeSideExecution',
      summary: 'Run an ended execution again from its last checkpoint (ctx.resumeFrom); answers once the new one runs',
      tag: TAG,
      params: ExecutionIdParams,
      successStatus: 201,
      handle: ({ params }) => service.resume(params.id),
    }),
    route({
      method: 'GET',
      url: '/v1/executions/:id/events',
      operationId: 'getSideExecutionEvents',
      summary: 'History of an execution, oldest first: status transitions, checkpoints, stop requests',
      tag: TAG,
      params: ExecutionIdParams,
      query: EventsQueryString,
      handle: ({ params, query }) => service.events(params.id, query),
    }),
    route({
      method: 'GET',
      url: '/v1/executions/:id/logs',
      operationId: 'getSideExecutionLogs',
      summary:
        'Output in order: NDJSON lines {stream, data, time}; with follow=true an SSE stream (events output, then end) until it ends; encoding=base64 for the exact bytes; format=raw for one stream as application/octet-stream',
      tag: TAG,
      params: ExecutionIdParams,
      query: LogsQuery,
      produces: ['application/x-ndjson', 'text/event-stream', 'application/octet-stream'],
      handle: async ({ params, query }, reply) => {
        const found = await service.getStatus(params.id);
        if (!found.success) return found;
        const follow = query.follow === 'true' || query.follow === '1';
        reply.hijack();
        const gone = new AbortController();
        reply.raw.once('close', () => gone.abort());
        if (query.format === 'raw') {
          await writeRawLog(reply.raw, query.stream ?? 'stdout', service.logBytes(params.id, { follow, signal: gone.signal }));
          return undefined;
        }
        const lines = service.logs(params.id, { follow, signal: gone.signal, ...(query.encoding ? { encoding: query.encoding } : {}) });
        await writeLogStream(reply.raw, follow ? 'sse' : 'ndjson', lines, async () => {
          const last = await service.getStatus(params.id);
          if (!last.success) return last;
          const { sideExecutionId, status, result, failure, exitCode } = last;
          return { sideExecutionId, status, result, failure, exitCode };
        });
        return undefined;
      },
    }),
  ];
}
