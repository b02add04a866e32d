// Request schemas of the REST API, composed from the shared fields under
// REST's names (body, path and query). Each route parses its request with
// them once, and the OpenAPI document is generated from them.
import { EXECUTION_STATUSES } from '@sidex/protocol';
import { z } from 'zod';
import { numeric } from '../../model/numeric-text.js';
import { BLOCK_FILTER_TYPES } from '../../services/action-block-service.js';
import { checkStdinWrite, CommandArgv, CommandCwd, CommandEnv, CommandStdin, stdinWrite, StdinWriteFields } from '../../services/command-schemas.js';
import { BlockPath, EventsAfter, EventsLimit, ExecutionId, InlineCode, ListInput, Params, StartOptions, StopOptions, TimeoutMs } from '../../services/schemas.js';

export const ExecutionIdParams = z.object({ id: ExecutionId.describe('execution id, e.g. side_1700000000000_1a2b3c4d') }).strict();

export const CreateExecutionBody = z
  .object({
    inlineCode: InlineCode.optional().describe('JavaScript, the body of an async function (give this, actionBlockPath or command)'),
    actionBlockPath: BlockPath.optional().describe('directory of an action block (give this, inlineCode or command)'),
    command: CommandArgv.optional().describe('a program and its arguments, executed directly with no shell (give this, inlineCode or actionBlockPath)'),
    cwd: CommandCwd.optional().describe("a command's working directory, inside the allowed roots; default: its scratch directory"),
    env: CommandEnv.optional().describe("a command's extra environment variables"),
    stdin: CommandStdin.optional().describe("a command's stdin: text, or { data, encoding: 'utf8' | 'base64', open }; open: write more later (POST .../stdin)"),
    params: Params.optional().describe('named values; each is in scope by name in inline code'),
    timeout: TimeoutMs.optional().describe('ms of running after which the execution is stopped; 0 or absent: none'),
    options: StartOptions.optional(),
  })
  .strict();

export const ListExecutionsQuery = z
  .object({
    status: z
      .string()
      .max(200)
      .refine((list) => list.split(',').every((s) => (EXECUTION_STATUSES as readonly string[]).includes(s.trim())), `must be comma-separated statuses, any of: ${EXECUTION_STATUSES.join(', ')}`)
      .optional()
      .describe(`comma-separated statuses, any of: ${EXECUTION_STATUSES.join(', ')}`),
    kind: ListInput.shape.kind,
    type: ListInput.shape.type.describe('side, cap or task: which dialect started it'),
    name: ListInput.shape.name.describe('exact name'),
    q: ListInput.shape.q.describe('text the name contains (any case)'),
    since: numeric(z.number({ error: 'must be epoch milliseconds' })).optional().describe('created at or after, epoch ms'),
    until: numeric(z.number({ error: 'must be epoch milliseconds' })).optional().describe('created before, epoch ms'),
    limit: numeric(z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000')).optional().describe('page size, 1 to 1000 (default 50)'),
    cursor: ListInput.shape.cursor.describe('nextCursor of the previous page'),
  })
  .strict();

/** graceMs (default 5000) and force, as the service's stop takes them. */
export const StopBody = StopOptions.nullish();

export const EventsQueryString = z
  .object({
    after: numeric(EventsAfter).optional().describe('only events after this seq'),
    limit: numeric(EventsLimit).optional().describe('at most this many (1 to 10000, default 1000)'),
  })
  .strict();

export const LogsQuery = z
  .object({
    follow: z.enum(['true', 'false', '1', '0']).optional().describe('true: a text/event-stream that follows the output until the execution ends'),
    encoding: z.enum(['utf8', 'base64']).optional().describe('base64: each line or event carries the exact bytes as base64 (utf8, the default, shows invalid bytes as U+FFFD)'),
    format: z.enum(['json', 'raw']).optional().describe('raw: application/octet-stream, the exact bytes of one stream (stream=stdout by default)'),
    stream: z.enum(['stdout', 'stderr']).optional().describe('with format=raw: which stream'),
  })
  .strict()
  .refine((q) => q.stream === undefined || q.format === 'raw', { path: ['stream'], message: 'is taken only with format=raw (the JSON lines carry both streams)' });

/** A stdin write: the id is in the path. */
export const WriteStdinBody = z
  .object({
    data: StdinWriteFields.data.describe('bytes to write: text, or base64 with encoding=base64'),
    encoding: StdinWriteFields.encoding.describe('how data is given: utf8 (the default) or base64'),
    close: StdinWriteFields.close.describe("true: end the program's stdin after data"),
  })
  .strict()
  .superRefine(checkStdinWrite)
  .transform(stdinWrite);

export const ActionBlocksQuery = z
  .object({
    filterType: z.enum(BLOCK_FILTER_TYPES).optional(),
    projectPath: z.string().max(4096).optional().describe('project whose .codebolt/actionblocks is searched'),
  })
  .strict();

export const ActionBlockNameParams = z.object({ name: z.string().min(1).max(500).describe('action block name') }).strict();

export const StartActionBlockBody = z.object({ params: Params.optional() }).strict().nullish();

/** Every reply: Codebolt-shaped, fields flat and mirrored under `data`. */
export const ReplySchema = z
  .looseObject({
    type: z.string().describe('e.g. getSideExecutionStatusResponse'),
    success: z.boolean(),
    data: z.record(z.string(), z.unknown()).optional().describe('the reply fields again, as the seed documents read them'),
    message: z.string().optional(),
    error: z.string().optional().describe('on failure: what went wrong, and where'),
    code: z.string().optional().describe('on failure: a stable error code, e.g. EXECUTION_NOT_FOUND'),
  })
  .describe('A Codebolt-shaped reply');
