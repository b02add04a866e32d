import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { isSidexError } from '../../errors.js';
import { fail } from '../replies/envelope.js';
import { parseInput } from '../../model/validation.js';
import { httpStatusOf } from './status.js';

type Shape = z.ZodType;

/** One REST route: its schemas validate the request and describe it in the OpenAPI document. */
export interface RouteSpec<P extends Shape = Shape, Q extends Shape = Shape, B extends Shape = Shape> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Fastify path, e.g. `/v1/executions/:id`. */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The handler reads the request's body itself (multipart, raw bytes): no body schema applies. */
  rawBody?: true;
  /** Status of a successful reply (default 200). */
  successStatus?: number;
  /** Content types of a streaming route, for the document. */
  produces?: string[];
  /**
   * Serves the request. Returns the reply, or undefined when it took over the
   * raw response (streams).
   */
  handle(input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> }, reply: FastifyReply): Promise<object | undefined>;
  /** How replies are shaped, when not as sidex's `{success, ...}` with the status its code implies. */
  shape?: ReplyShape;
}

/** A dialect's reply envelope: the status and body of a result, and of bad input or a thrown error. */
export interface ReplyShape {
  ok(result: object): { status: number; body: object };
  error(err: unknown): { status: number; body: object };
}

/** A route with its input types checked against its schemas. */
export const route = <P extends Shape, Q extends Shape, B extends Shape>(spec: RouteSpec<P, Q, B>) => spec as unknown as RouteSpec;

const replyType = (spec: RouteSpec) => `${spec.operationId}Response`;

// A route that takes no query or body refuses one, rather than serve the request as if it had not
// been sent (`?force=true` on a stop, a body on a resume).
const NO_QUERY = z.object({}).strict();
const NO_BODY = z.object({}).strict().nullish();

/** Registers routes on Fastify: parse every part with its schema, call, reply with the status its code implies. */
export function registerRoutes(app: FastifyInstance, routes: RouteSpec[]): void {
  for (const spec of routes) {
    app.route({
      method: spec.method,
      url: spec.url,
      ...(spec.shape ? { config: { shape: spec.shape } } : {}),
      handler: async (request, reply) => {
        let input;
        try {
          input = {
            params: spec.params ? parseInput(spec.params, request.params ?? {}) : {},
            query: parseInput(spec.query ?? NO_QUERY, request.query ?? {}),
            body: spec.rawBody ? undefined : parseInput(spec.body ?? NO_BODY, request.body),
          };
        } catch (err) {
          if (spec.shape) return send(reply, spec.shape.error(err));
          return sendFailure(reply, spec, err);
        }
        if (spec.shape) {
          const { shape } = spec;
          return spec.handle(input as never, reply).then((result) => (result === undefined ? reply : send(reply, shape.ok(result))), (err: unknown) => send(reply, shape.error(err)));
        }
        let result;
        try {
          result = await spec.handle(input as never, reply);
        } catch (err) {
          // Anything but a SidexError is a fault: the error handler logs it and answers 500.
          if (!isSidexError(err)) throw err;
          return sendFailure(reply, spec, err);
        }
        if (result === undefined) return reply;
        return reply.code(httpStatusOf(result as { success: boolean; code?: string }, spec.successStatus)).send(result);
      },
    });
  }
}

/** A request that could not be served: its failure reply, with the status its code implies (400 for bad input). */
function sendFailure(reply: FastifyReply, spec: RouteSpec, err: unknown) {
  const failed = fail(replyType(spec), err);
  return reply.code(httpStatusOf(failed)).send(failed);
}

const send = (reply: FastifyReply, { status, body }: { status: number; body: object }) => reply.code(status).send(body);

/** The reply shape a route asked for (its Fastify config), if any. */
export const shapeOf = (config: unknown): ReplyShape | undefined => (config as { shape?: ReplyShape } | undefined)?.shape;
