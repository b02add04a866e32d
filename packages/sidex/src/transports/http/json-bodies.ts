// Request bodies as the routes get them: JSON, parsed by Fastify's own parser
// (secure-json-parse, which refuses keys that would poison a prototype), with
// its refusals said plainly, and behind the checks every caller's JSON gets
// (json-text.ts).
import type { FastifyError, FastifyInstance } from 'fastify';
import { jsonTextRefusal } from '../json-text.js';

const badBody = (message: string): FastifyError => Object.assign(new Error(message), { statusCode: 400, code: 'INVALID_BODY', name: 'Error' }) as FastifyError;

/** Replaces Fastify's JSON parser with the same one behind those checks. */
export function parseJsonBodies(app: FastifyInstance): void {
  const fastifyJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    const refused = jsonTextRefusal(text, 'body');
    if (refused) return done(badBody(refused), undefined);
    fastifyJson(request, text, (err: Error | null, parsed?: unknown) => {
      // Fastify says "not valid JSON" of JSON with a forbidden key, too.
      if (err && isJson(text)) return done(badBody('body: a key "__proto__", or "constructor" holding "prototype", is not accepted'), undefined);
      done(err, parsed);
    });
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
