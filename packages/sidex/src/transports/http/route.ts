import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { fail } from '../../services/replies.js';
import { parseInput } from '../../services/validation.js';
import { httpStatusOf } from './status.js';

type Shape = z.ZodType;

/** One REST route: its schemas validate the request and describe it in the OpenAPI document. */
export interface RouteSpec<P extends Shape = Shape, Q extends Shape = Shape, B extends Shape = Shape> {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify path, e.g. `/v1/executions/:id`. */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Status of a successful reply (default 200). */
  successStatus?: number;
  /** Content types of a streaming route, for the document. */
  produces?: string[];
  /**
   * Serves the request. Returns the reply, or undefined when it took over the
   * raw response (streams).
   */
  handle(input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> }, reply: FastifyReply): Promise<object | undefined>;
}

/** A route with its input types checked against its schemas. */
export const route = <P extends Shape, Q extends Shape, B extends Shape>(spec: RouteSpec<P, Q, B>) => spec as unknown as RouteSpec;

const replyType = (spec: RouteSpec) => `${spec.operationId}Response`;

/** Registers routes on Fastify: parse every part with its schema, call, reply with the status its code implies. */
export function registerRoutes(app: FastifyInstance, routes: RouteSpec[]): void {
  for (const spec of routes) {
    app.route({
      method: spec.method,
      url: spec.url,
      handler: async (request, reply) => {
        let input;
        try {
          input = {
            params: spec.params ? parseInput(spec.params, request.params ?? {}) : {},
            query: spec.query ? parseInput(spec.query, request.query ?? {}) : {},
            body: spec.body ? parseInput(spec.body, request.body ?? undefined) : undefined,
          };
        } catch (err) {
          const failed = fail(replyType(spec), err);
          return reply.code(400).send(failed);
        }
        const result = await spec.handle(input as never, reply);
        if (result === undefined) return reply;
        return reply.code(httpStatusOf(result as { success: boolean; code?: string }, spec.successStatus)).send(result);
      },
    });
  }
}
