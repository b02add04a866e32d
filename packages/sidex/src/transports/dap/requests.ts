// The arguments of the DAP commands (docs/rocketride.md) under the names
// RocketRide clients send, plus sidex's own (drainMs, force). Parsed at the
// dialect's edges (DAP, /task, the in-process `sidex.pipelines`) into the pipeline
// service's typed inputs. Keys RocketRide clients send that sidex has no use
// for are accepted and ignored.
import { z } from 'zod';

export const Token = z
  .string({ error: 'must be a string (the token use() answered)' })
  .min(1, 'must not be empty')
  .max(200, 'is too long')
  .regex(/^[\w.:-]+$/, 'may hold only letters, digits and _ . : -');

const DrainMs = z
  .number({ error: 'must be a number of milliseconds' })
  .int('must be a whole number of milliseconds')
  .min(0, 'must not be negative')
  .max(3_600_000, 'must be at most one hour');

const Name = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'is too long');

export const UseArgs = z.strictObject({
  pipeline: z.unknown().refine((p) => p !== undefined && p !== null, 'is required: a pipeline object ({components, source?} or {pipeline: {...}})'),
  args: z.array(z.string({ error: 'must be strings' }), { error: 'must be an array of strings' }).max(1000).optional(),
  /** Idle seconds before the task ends by itself; 0 never. */
  ttl: z.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(0, 'must not be negative (0 means never)').max(30 * 24 * 3600, 'must be at most 30 days').optional(),
  token: Token.optional(),
  threads: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').optional(),
  useExisting: z.boolean({ error: 'must be true or false' }).optional(),
  name: Name.optional(),
  source: Name.optional(),
  drainMs: DrainMs.optional(),
  /** ROCKETRIDE_* variables for the task's process. */
  env: z.record(z.string(), z.string(), { error: 'must be an object of strings' }).optional(),
  pipelineTraceLevel: z.string().optional(),
  teamId: z.string().optional(),
});

export const TokenArgs = z.strictObject({ token: Token });

export const ProjectArgs = z.strictObject({
  projectId: z.string({ error: 'is required: the project id (a string)' }).max(200, 'is too long'),
  source: Name,
});

export const TerminateArgs = z.strictObject({
  token: Token,
  drainMs: DrainMs.optional(),
  force: z.boolean({ error: 'must be true or false' }).optional(),
});

export const RestartArgs = z.strictObject({
  token: Token.optional(),
  projectId: z.string().optional(),
  source: Name.optional(),
  pipeline: z.unknown().optional(),
});

const PipeId = z.number({ error: 'must be the number open answered' }).int('must be a whole number').min(1, 'must be at least 1');

export const OpenArgs = z.strictObject({
  token: Token,
  subcommand: z.literal('open').optional(),
  object: z.record(z.string(), z.unknown(), { error: 'must be an object (the item\'s name and metadata)' }).optional(),
  mimeType: z.string({ error: 'must be a string' }).max(200, 'is too long').optional(),
  provider: z.string().optional(),
});

export const WriteArgs = z.strictObject({
  token: Token,
  subcommand: z.literal('write').optional(),
  pipe_id: PipeId,
  data: z.union([z.instanceof(Uint8Array), z.string()], { error: 'must be bytes (Uint8Array) or a string' }),
});

export const CloseArgs = z.strictObject({
  token: Token,
  subcommand: z.literal('close').optional(),
  pipe_id: PipeId,
});

export const ProcessArgs = z.looseObject({
  // sidex: 'abandon' gives an open item up (cancelled, its thread freed) rather than closing it.
  subcommand: z.enum(['open', 'write', 'close', 'abandon'], { error: 'must be one of open, write, close, abandon' }),
});

/**
 * RocketRide's forms: `types` as names (any case; names without events in
 * sidex are ignored), as an EVENT_TYPE bitmask (a number or a string of
 * digits), or the older `listenType` bitmask. An empty set receives nothing:
 * clients unsubscribe that way. The task is a token, '*' (every task), or a
 * `{projectId, source}` whose task may start later.
 */
const Bitmask = z.number({ error: 'must be an EVENT_TYPE bitmask' }).int('must be a whole number').min(0, 'must not be negative');
export const MonitorArgs = z
  .strictObject({
    token: z.union([z.literal('*'), Token]).optional(),
    projectId: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'is too long').optional(),
    source: Name.optional(),
    types: z
      .union([z.array(z.string({ error: 'must be strings (event type names)' }), { error: 'must be an array of event types' }).max(100, 'lists too many types'), Bitmask, z.string().regex(/^\d+$/, 'must be event type names or an EVENT_TYPE bitmask')], {
        error: 'must be an array of event type names (SUMMARY, TASK, ...) or an EVENT_TYPE bitmask',
      })
      .optional(),
    listenType: Bitmask.optional(),
    /** Narrows a project monitor to one pipe (SSE events; sidex has none yet). */
    pipeId: z.number({ error: 'must be a pipe id' }).int().optional(),
  })
  .superRefine((args, ctx) => {
    const byProject = args.projectId !== undefined || args.source !== undefined;
    if (args.token !== undefined && byProject) ctx.addIssue({ code: 'custom', path: ['token'], message: 'give either token or projectId and source, not both' });
    else if (args.token === undefined && (args.projectId === undefined || args.source === undefined)) {
      ctx.addIssue({ code: 'custom', path: [args.projectId === undefined && byProject ? 'projectId' : args.source === undefined && byProject ? 'source' : 'token'], message: 'is required: give the task token (or \'*\'), or both projectId and source' });
    }
  });

export const ValidateArgs = z.strictObject({
  pipeline: z.unknown().refine((p) => p !== undefined && p !== null, 'is required'),
  source: Name.optional(),
});
