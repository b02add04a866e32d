// Request bodies as the routes get them: UTF-8 JSON, behind the checks every
// caller's JSON gets (json-text.ts: its nesting, numbers past a double, keys
// that would set a prototype, each said plainly), then parsed by Fastify's own
// parser (secure-json-parse, which refuses those keys too).
import type { FastifyError, FastifyInstance } from 'fastify';
import { jsonTextRefusal, utf8Text } from '../json-text.js';

const refusal = (statusCode: number, code: string) => (message: string): FastifyError => Object.assign(new Error(message), { statusCode, code, name: 'Error' }) as FastifyError;
const badBody = refusal(400, 'INVALID_BODY');
const unsupported = refusal(415, 'UNSUPPORTED_MEDIA_TYPE');

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
    const text = utf8Text(body as Buffer);
    if (text === undefined) return done(badBody('body: not valid UTF-8'), undefined);
    const refused = jsonTextRefusal(text, 'body');
    if (refused) return done(badBody(refused), undefined);
    fastifyJson(request, text, done);
  });
}
