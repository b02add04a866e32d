// The dashboard's own routes: its bundled files at `/`, and the session
// (log in with the key once, read the CSRF token back, log out).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SidexError } from '../../../errors.js';
import type { Authenticator } from '../../auth.js';
import { type DashboardSessions } from './sessions.js';

export const SESSION_PATH = '/dashboard/session';

/** Where the dashboard package's build put the page and its bundle. */
export function dashboardRoot(): string {
  return path.join(path.dirname(createRequire(import.meta.url).resolve('@sidex/dashboard/package.json')), 'dist');
}

/** The paths of the dashboard's files, served without a key: they hold no data. */
export function dashboardFiles(): Set<string> {
  return new Set(['/', ...fs.readdirSync(dashboardRoot()).map((f) => `/${f}`)]);
}

const isSecure = (request: FastifyRequest) => request.protocol === 'https';

export function registerDashboard(app: FastifyInstance, sessions: DashboardSessions, auth: Authenticator, errorBody: (err: SidexError) => unknown): void {
  // Only the files the build made; any other path stays a 404 of the API's.
  app.register(fastifyStatic, { root: dashboardRoot(), prefix: '/', wildcard: false, index: 'index.html', cacheControl: false, setHeaders: (res) => {
      res.setHeader('x-content-type-options', 'nosniff');
      // Only its own script and style; no inline code, no framing by other sites.
      res.setHeader('content-security-policy', "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    } });

  app.post(SESSION_PATH, async (request, reply) => {
    const key = (request.body as { apiKey?: unknown } | undefined)?.apiKey;
    if (typeof key !== 'string' || key === '') {
      return reply.code(400).send(errorBody(new SidexError('INVALID_ARGUMENT', 'apiKey: must be the server\'s API key, a string', { field: 'apiKey' })));
    }
    if (!auth.matches(key)) return reply.code(401).send(errorBody(new SidexError('UNAUTHORIZED', 'the API key is not valid')));
    const { id, csrf } = sessions.create();
    return reply.header('set-cookie', sessions.cookie(id, isSecure(request))).header('cache-control', 'no-store').send({ success: true, csrfToken: csrf });
  });

  app.get(SESSION_PATH, async (request, reply) => {
    const session = sessions.of(request.headers);
    if (!session) return reply.code(401).send(errorBody(new SidexError('UNAUTHORIZED', 'no dashboard session: log in with the API key')));
    return reply.header('cache-control', 'no-store').send({ success: true, csrfToken: session.csrf });
  });

  app.delete(SESSION_PATH, async (request, reply) => {
    const session = sessions.of(request.headers);
    if (session) sessions.delete(session.id);
    return reply.header('set-cookie', sessions.clearedCookie(isSecure(request))).send({ success: true });
  });
}
