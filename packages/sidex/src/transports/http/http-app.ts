import type { ServerResponse } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { SidexError } from '../../errors.js';
import { fail } from '../replies/envelope.js';
import type { Replies } from '../replies/index.js';
import type { PipelineService } from '../../services/pipeline-service.js';
import { presentedKey, unauthorized, type Authenticator } from '../auth.js';
import type { EventHub } from '../events/event-hub.js';
import { dashboardFiles, registerDashboard, SESSION_PATH } from './dashboard/dashboard-routes.js';
import type { DashboardSessions } from './dashboard/sessions.js';
import { actionBlockRoutes } from './action-block-routes.js';
import { keepConnectionToDrain } from './drain-refused-body.js';
import { capabilityRoutes } from './capability-routes.js';
import { executionRoutes } from './execution-routes.js';
import { openApiDocument } from './openapi.js';
import { registerRoutes, shapeOf } from './route.js';
import { registerTaskRoutes, taskRoutes } from './task-routes.js';
import { workerRoutes } from './worker-routes.js';
import { parseJsonBodies } from './json-bodies.js';
import { liveRoutes } from './live-routes.js';

export interface HttpAppOptions {
  /** The services' replies: REST answers in the Codebolt shape, with the HTTP status its code implies. */
  replies: Replies;
  /** RocketRide's /task routes, when given. */
  pipelines?: PipelineService;
  auth: Authenticator;
  log: Logger;
  version: string;
  /** What /healthz reports besides `ok`. */
  health: () => Record<string, unknown>;
  /** Prometheus text at /metrics; `token` is a key that opens /metrics only. */
  metrics?: { contentType: string; text(): Promise<string>; token?: Authenticator };
  /** Live events for GET /v1/events. */
  hub?: EventHub;
  /** The dashboard at `/`, its sessions standing in for the key. */
  dashboard?: DashboardSessions;
}

/** Bodies carry inline code (4 MB) and params (8 MB). */
const BODY_LIMIT = 16 * 1024 * 1024;
const MAX_PARAM_LENGTH = 1024;
const PUBLIC_PATHS = new Set(['/healthz', SESSION_PATH]);
const SAFE_METHODS = new Set(['GET', 'HEAD']);
const METRICS_PATH = '/metrics';

/** Error codes of Fastify's own failures (malformed bodies and the like), by HTTP status. */
const CODE_BY_STATUS: Record<number, string> = { 400: 'INVALID_BODY', 404: 'NOT_FOUND', 413: 'BODY_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/** The REST API under /v1, its OpenAPI document, and /healthz, on one Fastify instance. */
export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    // Above the longest id or name a route takes (a block's, 500), so that the route says what is wrong with it.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // What the router refuses before any route: in sidex's reply shape, not Fastify's.
    frameworkErrors: (err, request, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const refusal = tooLong
        ? new SidexError('URL_TOO_LONG', `${request.method}: a part of the path is longer than ${MAX_PARAM_LENGTH} characters`)
        : new SidexError('INVALID_URL', `${request.method}: the path is not valid URL encoding`);
      void (reply as FastifyReply).code(tooLong ? 414 : 400).send(fail('errorResponse', refusal));
    },
  });
  const { replies } = options;
  const streams = new Set<() => void>();
  const opened = (raw: ServerResponse, end: () => void) => {
    streams.add(end);
    raw.once('close', () => streams.delete(end));
  };
  const routes = [
    ...executionRoutes(replies),
    ...actionBlockRoutes(replies.actionBlock),
    ...capabilityRoutes(replies.capability),
    ...workerRoutes(replies.workers),
    ...liveRoutes({ hub: options.hub, pipelines: options.pipelines, opened }),
  ];
  const tasks = options.pipelines ? taskRoutes(options.pipelines) : [];
  const document = openApiDocument([...routes, ...tasks], options.version);

  // Bodies are JSON; anything else is a 415 rather than a string handed to the routes.
  app.removeContentTypeParser('text/plain');
  parseJsonBodies(app);

  const publicFiles = options.dashboard ? dashboardFiles() : new Set<string>();
  app.addHook('onRequest', async (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '';
    if (PUBLIC_PATHS.has(pathname) || (SAFE_METHODS.has(request.method) && publicFiles.has(pathname))) return;
    const key = presentedKey(request.headers);
    if (options.auth.matches(key)) return;
    if (pathname === METRICS_PATH && options.metrics?.token?.matches(key)) return;
    const session = key === undefined ? options.dashboard?.of(request.headers) : undefined;
    if (session) {
      if (SAFE_METHODS.has(request.method) || options.dashboard!.csrfMatches(session, request.headers)) return;
      const csrf = new SidexError('CSRF_TOKEN_REQUIRED', 'a dashboard session must send its CSRF token in the x-sidex-csrf header for this request');
      return reply.code(403).send(fail('errorResponse', csrf));
    }
    const shape = shapeOf(request.routeOptions.config);
    const refusal = unauthorized(key, request.headers);
    const { status, body } = shape ? shape.error(refusal) : { status: 401, body: fail('errorResponse', refusal) };
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
  const metrics = options.metrics;
  if (metrics) app.get(METRICS_PATH, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  // Open streams never go idle: they are ended at close, or the server would wait for them.
  app.addHook('preClose', async () => {
    for (const end of streams) end();
  });
  if (options.dashboard) registerDashboard(app, options.dashboard, options.auth, (err) => fail('errorResponse', err));
  registerRoutes(app, routes);
  registerTaskRoutes(app, tasks);
  return app;
}
