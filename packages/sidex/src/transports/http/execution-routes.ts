import type { ExecutionStatus } from '@sidex/protocol';
import { startSource } from '../../services/schemas.js';
import type { Replies } from '../replies/index.js';
import { base64Lines, writeLogStream, writeRawLog } from './log-stream.js';
import { route, type RouteSpec } from './route.js';
import { CreateExecutionBody, EventsQueryString, ExecutionIdParams, ListExecutionsQuery, LogsQuery, StopBody, WriteStdinBody } from './schemas.js';

const TAG = 'executions';

/** `/v1/executions`: start, list, get, stop, resume, events, logs, a command's stdin; every part parsed once by its route's schemas. */
export function executionRoutes({ sideExecution: replies, commands }: Pick<Replies, 'sideExecution' | 'commands'>): RouteSpec[] {
  const service = replies.service;
  return [
    route({
      method: 'POST',
      url: '/v1/executions',
      operationId: 'startSideExecution',
      summary: 'Start inline code, an action block or a command (any program); answers once it runs (or failed to start)',
      tag: TAG,
      body: CreateExecutionBody,
      successStatus: 201,
      handle: async ({ body }) => {
        const { inlineCode, actionBlockPath, command, cwd, env, stdin, ...rest } = body;
        const source = startSource(body);
        if (source === 'command') return commands.start({ command: command!, cwd, env, stdin, ...rest });
        return source === 'inlineCode' ? replies.start({ code: inlineCode!, ...rest }) : replies.start({ blockPath: actionBlockPath!, ...rest });
      },
    }),
    route({
      method: 'POST',
      url: '/v1/executions/:id/stdin',
      operationId: 'writeSideExecutionStdin',
      summary: "Write bytes to a running command's open stdin, and/or close it; answers once queued (at most 16 MB may wait unread)",
      tag: TAG,
      params: ExecutionIdParams,
      body: WriteStdinBody,
      handle: ({ params, body }) => commands.writeStdin({ ...body, sideExecutionId: params.id }),
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
        return replies.list({ ...rest, ...(status ? { status: status.split(',').map((s) => s.trim()) as ExecutionStatus[] } : {}) });
      },
    }),
    route({
      method: 'GET',
      url: '/v1/executions/counts',
      operationId: 'countSideExecutions',
      summary: 'How many executions the store holds, by status',
      tag: TAG,
      handle: () => replies.counts(),
    }),
    route({
      method: 'GET',
      url: '/v1/executions/:id',
      operationId: 'getSideExecutionStatus',
      summary: 'Status, result, output, memory and CPU of an execution',
      tag: TAG,
      params: ExecutionIdParams,
      handle: ({ params }) => replies.getStatus(params.id),
    }),
    route({
      method: 'POST',
      url: '/v1/executions/:id/stop',
      operationId: 'stopSideExecution',
      summary: 'Stop an execution with the stop protocol; answers when no process of it remains',
      tag: TAG,
      params: ExecutionIdParams,
      body: StopBody,
      handle: ({ params, body }) => replies.stop(params.id, body ?? undefined),
    }),
    route({
      method: 'POST',
      url: '/v1/executions/:id/resume',
      operationId: 'resumeSideExecution',
      summary: 'Run an ended execution again from its last checkpoint (ctx.resumeFrom); answers once the new one runs',
      tag: TAG,
      params: ExecutionIdParams,
      successStatus: 201,
      handle: ({ params }) => replies.resume(params.id),
    }),
    route({
      method: 'GET',
      url: '/v1/executions/:id/processes',
      operationId: 'getSideExecutionProcesses',
      summary: 'The processes of a running execution now: pid, parent, command, memory, CPU (none once it has ended)',
      tag: TAG,
      params: ExecutionIdParams,
      handle: ({ params }) => replies.processes(params.id),
    }),
    route({
      method: 'GET',
      url: '/v1/executions/:id/events',
      operationId: 'getSideExecutionEvents',
      summary: 'History of an execution, oldest first: status transitions, checkpoints, stop requests',
      tag: TAG,
      params: ExecutionIdParams,
      query: EventsQueryString,
      handle: ({ params, query }) => replies.events(params.id, query),
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
        const found = await replies.getStatus(params.id);
        if (!found.success) return found;
        const follow = query.follow === 'true' || query.follow === '1';
        reply.hijack();
        const gone = new AbortController();
        reply.raw.once('close', () => gone.abort());
        const reading = { follow, signal: gone.signal };
        if (query.format === 'raw') {
          await writeRawLog(reply.raw, query.stream ?? 'stdout', service.logBytes(params.id, reading));
          return undefined;
        }
        const lines = query.encoding === 'base64' ? base64Lines(service.logBytes(params.id, reading)) : service.logs(params.id, reading);
        await writeLogStream(reply.raw, follow ? 'sse' : 'ndjson', lines, async () => {
          const last = await replies.getStatus(params.id);
          if (!last.success) return last;
          const { sideExecutionId, status, result, failure, exitCode } = last;
          return { sideExecutionId, status, result, failure, exitCode };
        });
        return undefined;
      },
    }),
  ];
}

