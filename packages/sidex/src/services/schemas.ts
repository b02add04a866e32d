// The vocabulary of fields every dialect parses its requests with, at its
// edge, under the names its callers send (the services take what they give).
// The OpenAPI document is generated from the REST schemas built of them.
import { EXECUTION_STATUSES } from '@sidex/protocol';
import { z } from 'zod';
import { SidexError } from '../errors.js';
import { bytesOfMb, MAX_CPU_LIMIT, MAX_PIDS_LIMIT, MEMORY_LIMIT_TOO_LOW, MIN_CPU_LIMIT, MIN_MEMORY_LIMIT_MB, MIN_PIDS_LIMIT } from '../engine/limits/limit-bounds.js';
import { MAX_EVENTS } from '../store/event-query.js';
import { EnvVars } from './command-schemas.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** A grace period before SIGKILL, ms: a start's own, or a stop's. Ten minutes at most (a longer one held a stop open without end). */
export const GraceMs = z.number().int('must be a whole number of milliseconds').min(0, 'must not be negative').max(600_000, 'must be at most 600000 (10 minutes)');

export const TimeoutMs = z
  .number({ error: (issue) => (Number.isNaN(issue.input) ? 'must be a finite number' : 'must be a number of milliseconds') })
  .refine((n) => Number.isFinite(n), 'must be a finite number')
  .refine((n) => n >= 0, 'must not be negative (0 means no timeout)')
  .refine((n) => n <= MAX_TIMER_MS, `must be at most ${MAX_TIMER_MS} ms`);

export const Params = z.record(z.string(), z.unknown(), { error: 'must be an object of named values' });

export const ExecutionId = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'is too long');

/** The bounds of a pids limit: a start's option here, a server's default in its config (server/config.ts). */
export function pidsLimitBounds<T extends z.ZodNumber | z.ZodCoercedNumber>(n: T): T {
  return n
    .int('must be a whole number of processes')
    .min(MIN_PIDS_LIMIT, `must be at least ${MIN_PIDS_LIMIT} (the runtime itself holds about a dozen threads)`)
    .max(MAX_PIDS_LIMIT, `must be at most ${MAX_PIDS_LIMIT}`) as T;
}

const MAX_LIMIT_MB = 1024 * 1024;

/** The bounds of a memory limit in MB: a start's option here, a server's default in its config. */
export const memoryMbBounds = (n: z.ZodNumber) =>
  n.min(MIN_MEMORY_LIMIT_MB, MEMORY_LIMIT_TOO_LOW).max(MAX_LIMIT_MB, `must be at most ${MAX_LIMIT_MB} MB`);

/** The bounds of an output limit in MB (a fraction of one is a number of bytes, one at least). */
export const outputMbBounds = (n: z.ZodNumber) =>
  n.positive('must be a positive number of MB').max(MAX_LIMIT_MB, `must be at most ${MAX_LIMIT_MB} MB`).refine((mb) => bytesOfMb(mb) >= 1, 'must be one byte at least (0.000001 MB)');

export const StartOptions = z
  .object({
    /** Memory limit of the whole process tree, in MB. */
    memoryLimitMb: memoryMbBounds(z.number({ error: 'must be a number of MB' })).optional(),
    /** Most output (stdout and stderr together) it may write, in MB. */
    outputLimitMb: outputMbBounds(z.number({ error: 'must be a number of MB' })).optional(),
    /** Most processes and threads it may have at once (pids.max of its cgroup). */
    pidsLimit: pidsLimitBounds(z.number({ error: 'must be a number of processes' })).optional(),
    /** CPU time it may use, in cores (0.5: half of one). */
    cpuLimit: z
      .number({ error: 'must be a number of cores' })
      .min(MIN_CPU_LIMIT, `must be at least ${MIN_CPU_LIMIT} cores`)
      .max(MAX_CPU_LIMIT, `must be at most ${MAX_CPU_LIMIT} cores`)
      .optional(),
    /** Its sandbox's network: `all`, `none` (loopback only) or `{allow}` (the listed hosts, through a filtering proxy). Default: the server's. */
    network: z
      .union([z.enum(['all', 'none']), z.object({ allow: z.array(z.unknown()).max(256, 'must list at most 256 hosts') }).strict()], {
        error: 'must be "all", "none" or { allow: [hosts] }',
      })
      .optional(),
    /** Grace period of this execution's stops and timeout, ms. */
    graceMs: GraceMs.optional(),
    /** Extra environment variables for this execution. */
    env: EnvVars.optional(),
    threadId: z.string().max(200).optional(),
    /** The Codebolt agent on whose behalf it runs (PARENT_AGENT_ID of Codebolt-built blocks). */
    parentAgentId: z.string().max(200).optional(),
    parentAgentInstanceId: z.string().max(200).optional(),
    /** Handed to a Codebolt-built block in its actionBlockInvocation. */
    threadContext: z.record(z.string(), z.unknown()).optional(),
    name: z.string().min(1).max(200).optional(),
    /** Cluster scheduling (docs/cluster.md): higher runs sooner; tags a worker must serve; retries after a failure, and the wait between them. */
    priority: z.number().int('must be a whole number').min(-100, 'must be at least -100').max(100, 'must be at most 100').optional(),
    tags: z
      .array(z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'each tag must be 1 to 32 letters, digits, _ or -'))
      .max(4, 'must list at most 4 tags')
      .refine((tags) => new Set(tags).size === tags.length, 'must not list a tag twice')
      .optional(),
    retries: z.number().int('must be a whole number').min(0, 'must not be negative').max(10, 'must be at most 10').optional(),
    backoffMs: z.number().int('must be a whole number of ms').min(0, 'must not be negative').max(3_600_000, 'must be at most an hour').optional(),
    /** What inline code's errors call it (the file it was read from); default "inline". */
    filename: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(500, 'is too long')
      .refine((f) => !/[\u0000-\u001f\u007f]/.test(f), 'must not contain control characters (it is shown in stack lines)')
      .optional(),
  })
  .strict();

/** Inline JavaScript: the body of an async function. */
export const InlineCode = z
  .string({ error: 'must be a string of JavaScript' })
  .refine((c) => c.trim().length > 0, 'must not be empty')
  .refine((c) => Buffer.byteLength(c) <= 4 * 1024 * 1024, 'must be at most 4 MB');

/** An action block's directory, or its name in the catalog. */
export const BlockPath = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(4096, 'is too long');

/** How a stop goes: the grace before SIGKILL (default 5000), or SIGKILL at once. */
export const StopOptions = z
  .object({
    graceMs: GraceMs.optional(),
    force: z.boolean().optional(),
  })
  .strict();

export const ListInput = z
  .object({
    status: z.union([z.enum(EXECUTION_STATUSES), z.array(z.enum(EXECUTION_STATUSES))]).optional(),
    kind: z.enum(['inline', 'block', 'command']).optional(),
    /** Which dialect started it: side executions, capabilities or pipeline tasks (the id prefix). */
    type: z.enum(['side', 'cap', 'task']).optional(),
    name: z.string().max(500).optional(),
    q: z.string().max(500).optional(),
    since: z.number().optional(),
    until: z.number().optional(),
    limit: z.number().int().min(1).max(1000).optional(),
    cursor: z.string().max(500).optional(),
  })
  .strict();

export type StartOptionsInput = z.infer<typeof StartOptions>;
export type ListInputType = z.infer<typeof ListInput>;
export type StopOptionsInput = z.infer<typeof StopOptions>;

/** Only events after this seq. */
export const EventsAfter = z.number().int('must be a whole number').min(0, 'must be 0 or more');
/** At most this many events. */
export const EventsLimit = z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_EVENTS, `must be at most ${MAX_EVENTS}`);

export const EventsQuery = z.object({ after: EventsAfter.optional(), limit: EventsLimit.optional() }).strict();

export type EventsQueryType = z.infer<typeof EventsQuery>;

type StartFields = Partial<Record<'command' | 'inlineCode' | 'actionBlockPath' | 'cwd' | 'env' | 'stdin' | 'params', unknown>>;

/** What only a command start takes. */
const COMMAND_ONLY = ['cwd', 'env', 'stdin'] as const;

const invalid = (field: string, message: string) => new SidexError('INVALID_ARGUMENT', `${field}: ${message}`, { field });

/**
 * Which one of a command, inline code and an action block a start gives (the
 * Codebolt dialect and REST both name them `command`, `inlineCode` and
 * `actionBlockPath`); INVALID_ARGUMENT unless exactly one, or when a
 * command's own fields come without a command (rather than being ignored).
 */
export function startSource(fields: StartFields): 'command' | 'inlineCode' | 'actionBlockPath' {
  const given = (key: keyof StartFields) => fields[key] !== undefined && fields[key] !== null;
  if (given('command')) {
    const other = (['inlineCode', 'actionBlockPath'] as const).find(given);
    if (other) throw invalid('command', `give one of command, inlineCode or actionBlockPath, not command and ${other}`);
    // A program reads no params: they would be dropped without a word (an empty object says nothing).
    const { params } = fields;
    if (given('params') && !(typeof params === 'object' && !Array.isArray(params) && Object.keys(params as object).length === 0)) throw invalid('params', 'a command takes no params (give its input as arguments, env or stdin)');
    return 'command';
  }
  const stray = COMMAND_ONLY.find(given);
  if (stray) throw invalid(stray, `only a command takes ${stray} (give command, or leave ${stray} out)`);
  const hasCode = given('inlineCode');
  if (hasCode !== given('actionBlockPath')) return hasCode ? 'inlineCode' : 'actionBlockPath';
  throw invalid('inlineCode', hasCode ? 'give either inlineCode or actionBlockPath, not both' : 'one of inlineCode, actionBlockPath or command is required');
}
