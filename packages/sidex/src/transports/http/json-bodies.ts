// Request bodies as the routes get them: JSON, parsed by Fastify's own parser
// (secure-json-parse, which refuses keys that would poison a prototype), with
// its refusals said plainly. Nesting past MAX_VALUE_DEPTH is refused too: the
// next JSON.stringify of such a value, in the store or a reply, overflows the
// stack (a 5,000-deep threadContext came back as STORE_UNAVAILABLE).
import type { FastifyError, FastifyInstance } from 'fastify';
import { MAX_VALUE_DEPTH, nestsDeeperThan } from '../../runtime/json-depth.js';
import { overflowingNumberKey, overflowMessage } from '../overflowing-number.js';

const badBody = (message: string): FastifyError => Object.assign(new Error(message), { statusCode: 400, code: 'INVALID_BODY', name: 'Error' }) as FastifyError;

/** Replaces Fastify's JSON parser with the same one behind these two checks. */
export function parseJsonBodies(app: FastifyInstance): void {
  const fastifyJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (nestsDeeperThan(text, MAX_VALUE_DEPTH + 1)) return done(badBody(`body nests deeper than ${MAX_VALUE_DEPTH} levels of arrays and objects`), undefined);
    fastifyJson(request, text, (err: Error | null, parsed?: unknown) => {
      // Fastify says "not valid JSON" of JSON with a forbidden key, too.
      if (err && isJson(text)) return done(badBody('body: a key "__proto__", or "constructor" holding "prototype", is not accepted'), undefined);
      const overflowing = err ? undefined : overflowingNumberKey(text);
      if (overflowing !== undefined) return done(badBody(`body: ${overflowMessage(overflowing)}`), undefined);
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
