// RocketRide's HTTP equivalents of the DAP commands (docs/rocketride.md):
// `POST /task`, `GET /task`, `DELETE /task`, `POST /task/data`, with its reply
// envelope `{status: 'OK', data}` or `{status: 'Error', error: {message}}`
// (HTTP 400 for bad input and refused calls, 401 without a valid key).
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { numeric } from '../../model/numeric-text.js';
import type { PipelineService } from '../../services/pipeline-service.js';
import { PipelineApi } from '../dap/pipeline-api.js';
import { errorParts, SidexError } from '../../errors.js';
import { registerRoutes, route, type ReplyShape, type RouteSpec } from './route.js';
import { httpStatusOf } from './status.js';
import { multipartItems, rawItem } from './task-items.js';

const TAG = 'pipelines (RocketRide)';

/** RocketRide's envelope; sidex adds the error's `code` and `details`. */
export const rocketRideShape: ReplyShape = {
  ok: (data) => ({ status: 200, body: { status: 'OK', data } }),
  error: (err) => {
    const error = errorParts(err);
    // httpStatusOf answers 500 for INTERNAL_ERROR.
    return { status: httpStatusOf({ success: false, code: error.code }), body: { status: 'Error', error } };
  },
};

const TokenParam = z.string({ error: (issue) => (issue.input === undefined ? 'is required: the task token use() answered' : 'must be one task token') }).min(1, 'must not be empty').max(200, 'is too long');
const count = (what: string) => z.number({ error: `must be a number of ${what}` });

const UseQuery = z.strictObject({
  threads: numeric(count('threads').int('must be a whole number').min(1, 'must be at least 1').max(64, 'must be at most 64')).default(4).describe('how many items are processed at once (1-64, default 4 as RocketRide)'),
  token: TokenParam.optional().describe('a token of your own for the task (letters, digits, _ . : -)'),
  ttl: numeric(count('seconds')).optional().describe('idle seconds before the task ends by itself; 0 never (default 3600)'),
});

const TokenQuery = z.strictObject({ token: TokenParam.describe('the task token') });

const TerminateQuery = z.strictObject({
  token: TokenParam.describe('the task token'),
  drainMs: numeric(count('milliseconds')).optional().describe('how long items in progress may take to finish (default: as use() said, else 30000)'),
  force: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().describe('cancel items in progress at once'),
});

const DataQuery = z.strictObject({
  token: TokenParam.describe('the task token'),
  name: z.string().max(1000, 'is too long').optional().describe('name of the item (raw body only, else the Content-Disposition filename, else stream-<uuid>; multipart parts are named by their file or field name)'),
});

const PipelineBody = z.record(z.string(), z.unknown(), { error: 'must be the pipeline as a JSON object ({components, source?} or {pipeline: {...}})' });

export function taskRoutes(service: PipelineService): RouteSpec[] {
  // The route schemas read the query's strings; the pipeline API then checks them as the DAP command's arguments (its codes, its ranges).
  const pipelines = new PipelineApi(service);
  const execute = (method: 'POST' | 'PUT') =>
    route({
      method,
      url: '/task',
      operationId: method === 'POST' ? 'execute' : 'executePut',
      summary: `Start a task running the pipeline in the body; answers {token, ...} once it runs${method === 'PUT' ? ' (as POST /task, which RocketRide also takes as PUT)' : ''}`,
      tag: TAG,
      query: UseQuery,
      body: PipelineBody,
      shape: rocketRideShape,
      handle: ({ query, body }) => pipelines.use({ pipeline: body, ...query }),
    });
  const data = (url: '/task/data' | '/webhook') =>
    route({
      method: 'POST',
      url,
      operationId: url === '/task/data' ? 'sendData' : 'webhook',
      summary: `Send items to a task: one per multipart/form-data field (files are streamed), or the raw body as one item; answers RocketRide's {objectsRequested, objectsCompleted, resultTypes, objects}${url === '/webhook' ? ' (as POST /task/data)' : ''}`,
      tag: TAG,
      query: DataQuery,
      rawBody: true,
      shape: rocketRideShape,
      handle: ({ query }, reply) => {
        const request = reply.request;
        return request.isMultipart() ? multipartItems(pipelines, query.token, request) : rawItem(pipelines, query.token, request, query.name);
      },
    });
  return [
    execute('POST'),
    execute('PUT'),
    route({
      method: 'GET',
      url: '/task',
      operationId: 'getTaskStatus',
      summary: 'The status of a task: state, counts, rates, errors (also after it ended)',
      tag: TAG,
      query: TokenQuery,
      shape: rocketRideShape,
      handle: async ({ query }) => pipelines.getTaskStatus(query),
    }),
    route({
      method: 'DELETE',
      url: '/task',
      operationId: 'terminate',
      summary: 'Terminate a task: no new item is accepted, items in progress finish (within the drain deadline); answers once it has ended',
      tag: TAG,
      query: TerminateQuery,
      shape: rocketRideShape,
      handle: ({ query: { force, ...rest } }) => pipelines.terminate({ ...rest, ...(force ? { force: force === 'true' } : {}) }),
    }),
    data('/task/data'),
    data('/webhook'),
  ];
}

/**
 * Registers the routes. `/task/data` lives in a scope of its own where every
 * body is taken as it is (bytes), or as multipart parts.
 */
export function registerTaskRoutes(app: FastifyInstance, routes: RouteSpec[]): void {
  const data = routes.filter((r) => r.url === '/task/data' || r.url === '/webhook');
  registerRoutes(app, routes.filter((r) => !data.includes(r)));
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    await scope.register(multipart, { throwFileSizeLimit: false }); // a file over the limit is reported by its item
    registerRoutes(scope, data);
  });
  // Unknown routes of the dialect answer in its envelope.
  for (const prefix of ['/task', '/webhook']) {
    void app.register(
      async (scope) => {
        scope.setNotFoundHandler((request, reply) => {
          const { status, body } = rocketRideShape.error(new SidexError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}: the task routes are POST, PUT, GET and DELETE /task, POST /task/data and POST /webhook`));
          return reply.code(status).send(body);
        });
      },
      { prefix },
    );
  }
}
