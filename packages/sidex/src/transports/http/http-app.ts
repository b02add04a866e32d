import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { SidexError } from '../../errors.js';
import { fail } from '../../services/replies.js';
import type { ActionBlockService } from '../../services/action-block-service.js';
import type { CapabilityService } from '../../services/capability-service.js';
import type { CommandService } from '../../services/command-service.js';
import type { SideExecutionService } from '../../services/side-execution-service.js';
import type { PipelineService } from '../../services/pipeline-service.js';
import { presentedKey, unauthorized, type Authenticator } from '../auth.js';
import { actionBlockRoutes } from './action-block-routes.js';
import { keepConnectionToDrain } from './drain-refused-body.js';
import { capabilityRoutes } from './capability-routes.js';
import { executionRoutes } from './execution-routes.js';
import { openApiDocument } from './openapi.js';
import { registerRoutes, shapeOf } from './route.js';
import { registerTaskRoutes, taskRoutes } from './task-routes.js';

export interface HttpAppOptions {
  sideExecution: SideExecutionService;
  actionBlock: ActionBlockService;
  capability: CapabilityService;
  commands: CommandService;
  /** RocketRide's /task routes, when given. */
  pipelines?: PipelineService;
  auth: Authenticator;
  log: Logger;
  version: string;
  /** What /healthz reports besides `ok`. */
  health: () => Record<string, unknown>;
}

/** Bodies carry inline code (4 MB) and params (8 MB). */
const BODY_LIMIT = 16 * 1024 * 1024;
const PUBLIC_PATHS = new Set(['/healthz']);

/** Error codes of Fastify's own failures (malformed bodies and the like), by HTTP status. */
const CODE_BY_STATUS: Record<number, string> = { 400: 'INVALID_BODY', 404: 'NOT_FOUND', 413: 'BODY_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/** The REST API under /v1, its OpenAPI document, and /healthz, on one Fastify instance. */
export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({ loggerInstance: options.log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: BODY_LIMIT, return503OnClosing: true });
  const routes = [...executionRoutes(options.sideExecution, options.commands), ...actionBlockRoutes(options.actionBlock), ...capabilityRoutes(options.capability)];
  const tasks = options.pipelines ? taskRoutes(options.pipelines) : [];
  const document = openApiDocument([...routes, ...tasks], options.version);

  // Bodies are JSON; anything else is a 415 rather than a string handed to the routes.
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', async (request, reply) => {
    if (PUBLIC_PATHS.has(request.url.split('?')[0] ?? '')) return;
    const key = presentedKey(request.headers);
    if (options.auth.matches(key)) return;
    const shape = shapeOf(request.routeOptions.config);
    const { status, body } = shape ? shape.error(unauthorized(key)) : { status: 401, body: fail('errorResponse', unauthorized(key)) };
    return reply.code(status).header('www-authenticate', 'Bearer').send(body);
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) request.log.error({ err }, 'request failed');
    const code = status >= 500 ? 'INTERNAL_ERROR' : (CODE_BY_STATUS[status] ?? 'INVALID_REQUEST');
    const message = status >= 500 ? 'internal error' : `${request.method} ${request.url.split('?')[0]}: ${err.message}`;
    if (status === 413) keepConnectionToDrain(request.raw, () => reply.removeHeader('connection'));
    const shape = shapeOf(request.routeOptions.config);
    if (shape) return reply.code(status).send(shape.error(new SidexError(code, message)).body);
    return reply.code(status).send(fail('errorResponse', new SidexError(code, message)));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(fail('errorResponse', new SidexError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]} (see /v1/openapi.json)`))),
  );

  app.get('/healthz', async () => ({ status: 'ok', version: options.version, ...options.health() }));
  app.get('/v1/openapi.json', async () => document);
  registerRoutes(app, routes);
  registerTaskRoutes(app, tasks);
  return app;
}
