// Request bodies as the routes get them: JSON, parsed by Fastify's own parser
// (secure-json-parse, which refuses keys that would poison a prototype), with
// its refusals said plainly, and behind the checks every caller's JSON gets
// (json-text.ts).
import type { FastifyError, FastifyInstance } from 'fastify';
import { jsonTextRefusal } from '../json-text.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

const badBody = (message: string): FastifyError => Object.assign(new Error(message), { statusCode: 400, code: 'INVALID_BODY', name: 'Error' }) as FastifyError;
const unsupported = (message: string): FastifyError => Object.assign(new Error(message), { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', name: 'Error' }) as FastifyError;

/** Replaces Fastify's JSON parser with the same one behind those checks. */
export function parseJsonBodies(app: FastifyInstance): void {
  const fastifyJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // Nothing here inflates a compressed body: it would be read as text that is not JSON.
    const encoding = request.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') return done(unsupported(`body: content-encoding ${encoding} is not taken; send the JSON as it is`), undefined);
    // JSON is UTF-8 (RFC 8259): bytes that are not would each become U+FFFD without a word.
    const charset = /;\s*charset="?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset && !/^utf-?8$/i.test(charset)) return done(badBody(`body: JSON must be UTF-8, not charset=${charset}`), undefined);
    let text: string;
    try {
      text = UTF8.decode(body as Buffer);
    } catch {
      return done(badBody('body: not valid UTF-8'), undefined);
    }
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
