import { z } from 'zod';
import type { RouteSpec } from './route.js';
import { ReplySchema } from './schemas.js';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[]; description?: string };

const toSchema = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as JsonSchema;

/** The object schema under a nullish/optional wrapper, as OpenAPI wants a body. */
function bodySchema(schema: z.ZodType): { schema: JsonSchema; required: boolean } {
  const json = toSchema(schema);
  const variants = (json.anyOf as JsonSchema[] | undefined)?.filter((v) => v.type !== 'null' && !v.not);
  if (variants && variants.length === 1) return { schema: variants[0]!, required: false };
  const nullable = json.nullable === true;
  const { nullable: _n, ...rest } = json;
  return { schema: rest, required: !nullable && !schema.safeParse(undefined).success };
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): object[] {
  if (!schema) return [];
  const json = toSchema(schema);
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest };
  });
}

const replyRef = { $ref: '#/components/schemas/Reply' };
const jsonReply = (description: string) => ({ description, content: { 'application/json': { schema: replyRef } } });

/** OpenAPI 3 document of the REST API, generated from the schemas that validate each route. */
export function openApiDocument(routes: RouteSpec[], version: string): object {
  const paths: Record<string, Record<string, object>> = {
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness, without authentication',
        tags: ['server'],
        security: [],
        responses: { '200': { description: 'the server is up', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  };
  for (const spec of routes) {
    const path = spec.url.replace(/:(\w+)/g, '{$1}');
    const body = spec.body ? bodySchema(spec.body) : undefined;
    const success = String(spec.successStatus ?? 200);
    paths[path] ??= {};
    paths[path]![spec.method.toLowerCase()] = {
      operationId: spec.operationId,
      summary: spec.summary,
      tags: [spec.tag],
      parameters: [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')],
      ...(body ? { requestBody: { required: body.required, content: { 'application/json': { schema: body.schema } } } } : {}),
      responses: {
        [success]: spec.produces
          ? { description: 'a stream', content: Object.fromEntries(spec.produces.map((type) => [type, { schema: { type: 'string' } }])) }
          : jsonReply('success: true'),
        '400': jsonReply('bad input: success false, with what is wrong and where'),
        '401': jsonReply('no API key, or a wrong one'),
        ...(spec.params ? { '404': jsonReply('no such execution, action block or capability') } : {}),
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'sidex', version, description: 'Run code in isolated child processes, watch it, and stop it safely.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'the server API key (SIDEX_API_KEY, or the one in <data-dir>/api-key)' } },
      schemas: { Reply: toSchema(ReplySchema) },
    },
  };
}
