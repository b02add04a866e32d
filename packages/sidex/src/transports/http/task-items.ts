// The items of `POST /task/data` (and `/webhook`): one per multipart field (a
// file is one write), or the raw body as one item. Each goes through the
// pipeline API's open / write / close (which parses them as the DAP's
// arguments); a pipe the request leaves open (a failed write, a client gone
// mid-upload) is abandoned. The reply is RocketRide's DataResult: an item
// that fails is an error object among the others; a task that takes no item
// at all fails the request.
import { randomUUID } from 'node:crypto';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { errorParts, SidexError } from '../../errors.js';
import type { ItemResult } from '../../runtime/pipeline-host/pipeline.js';
import type { PipelineApi } from '../dap/pipeline-api.js';

/** Limits of the multipart parser; the item size itself is the service's to check. */
export const MULTIPART_LIMITS = {
  parts: 1000,
  fields: 1000,
  files: 1000,
  fieldSize: 16 * 1024 * 1024,
  fileSize: 16 * 1024 * 1024 + 1,
};

/** RocketRide's reply to `/task/data`: every item's result (or error) by its field, the result types of all. */
export interface DataResult {
  objectsRequested: number;
  objectsCompleted: number;
  resultTypes: Record<string, string>;
  objects: Record<string, Record<string, unknown>>;
}

/** Failures of the task itself: no item can go in, so the request fails (HTTP 400) rather than its items. */
const TASK_REFUSALS = new Set(['TASK_NOT_FOUND', 'TASK_NOT_RUNNING', 'TASK_TERMINATING', 'INVALID_TOKEN']);

/** The media type of a header value, without its parameters. */
const mediaType = (header: string | undefined) => header?.split(';')[0]?.trim().toLowerCase() || 'application/octet-stream';

/** `filename="x"` (or `filename*=`) of a Content-Disposition header. */
function dispositionName(header: string | undefined): string | undefined {
  const match = header ? /filename\*?=([^;]+)/i.exec(header) : null;
  const name = match?.[1]?.trim().replace(/^UTF-8''/i, '').replace(/^["']|["']$/g, '');
  return name ? decodeURIComponent(name) : undefined;
}

class Results {
  readonly reply: DataResult = { objectsRequested: 0, objectsCompleted: 0, resultTypes: {}, objects: {} };

  /** The item of `key` ended as `outcome`: its result with `status: 'OK'`, or `{status: 'Error', error}`. */
  add(key: string, outcome: PromiseSettledResult<ItemResult>): void {
    if (outcome.status === 'rejected') {
      this.reply.objects[key] = { status: 'Error', error: errorParts(outcome.reason) };
      return;
    }
    const { result_types, ...result } = outcome.value;
    Object.assign(this.reply.resultTypes, result_types ?? {});
    this.reply.objects[key] = { ...result, status: 'OK' };
    this.reply.objectsCompleted++;
  }
}

/** A failure of the task rather than of an item is the request's. */
function rethrowRefusal(err: unknown): void {
  if (TASK_REFUSALS.has(errorParts(err).code)) throw err;
}

/** The raw body as one item (field `body`), named by `name`, else its Content-Disposition filename, else `stream-<uuid>`. */
export async function rawItem(pipelines: PipelineApi, token: string, request: FastifyRequest, name: string | undefined): Promise<DataResult> {
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw new SidexError('INVALID_DATA', 'body: empty; send the item as the request body, or one item per field as multipart/form-data', { field: 'body' });
  }
  const results = new Results();
  results.reply.objectsRequested = 1;
  const itemName = name ?? dispositionName(request.headers['content-disposition']) ?? `stream-${randomUUID()}`;
  const [outcome] = await Promise.allSettled([pipelines.send(token, body, { name: itemName }, mediaType(request.headers['content-type']))]);
  if (outcome!.status === 'rejected') rethrowRefusal(outcome!.reason);
  results.add('body', outcome!);
  return results.reply;
}

/**
 * One item per part, in order, keyed by field name (`<field>_<n>` when a
 * field repeats). Items are handed to the task as soon as they are read, so
 * they run while later parts arrive; the reply waits for all.
 */
export async function multipartItems(pipelines: PipelineApi, token: string, request: FastifyRequest): Promise<DataResult> {
  const pending: Array<{ field: string; result: Promise<ItemResult> }> = [];
  let refusal: unknown;
  try {
    for await (const part of request.parts({ limits: MULTIPART_LIMITS })) {
      const name = part.type === 'file' ? part.filename || part.fieldname : part.fieldname;
      if (refusal !== undefined) {
        if (part.type === 'file') part.file.resume();
        continue;
      }
      // The open and the write are awaited here (parts come in order); the result later.
      let result: Promise<ItemResult>;
      try {
        result = (await oneItem(pipelines, token, part, name)).result;
      } catch (err) {
        if (part.type === 'file') part.file.resume(); // not read when the open failed
        if (TASK_REFUSALS.has(errorParts(err).code)) refusal = err;
        result = Promise.reject(err);
      }
      result.catch(() => {}); // awaited below
      pending.push({ field: part.fieldname, result });
    }
  } catch (err) {
    // The body itself is malformed, over the parser's limits, or the client went away. Items read
    // before that were whole and have gone to the task: their outcomes come with the error, so
    // that a client does not send them again believing nothing ran.
    const tooLarge = (err as { statusCode?: number }).statusCode === 413;
    const items = pending.length > 0 ? { items: await outcomes(pending) } : {};
    throw new SidexError(tooLarge ? 'BODY_TOO_LARGE' : 'INVALID_BODY', `body: ${(err as Error).message}`, { field: 'body', ...items });
  }
  if (refusal !== undefined) throw refusal;
  if (pending.length === 0) throw new SidexError('INVALID_DATA', 'body: the multipart body has no fields; each field is one item', { field: 'body' });
  return outcomes(pending);
}

/** Every item's outcome by its field (`<field>_<n>` when a field repeats), once all have ended. */
async function outcomes(pending: ReadonlyArray<{ field: string; result: Promise<ItemResult> }>): Promise<DataResult> {
  const counts = new Map<string, number>();
  for (const { field } of pending) counts.set(field, (counts.get(field) ?? 0) + 1);
  const seen = new Map<string, number>();
  const results = new Results();
  results.reply.objectsRequested = pending.length;
  const settled = await Promise.allSettled(pending.map((p) => p.result));
  pending.forEach(({ field }, i) => {
    const n = seen.get(field) ?? 0;
    seen.set(field, n + 1);
    results.add(counts.get(field)! > 1 ? `${field}_${n}` : field, settled[i]!);
  });
  return results.reply;
}

/** Opens a pipe, writes the part into it and closes it; answers the item's result, to come. */
async function oneItem(pipelines: PipelineApi, token: string, part: MultipartFile | MultipartValue, name: string): Promise<{ result: Promise<ItemResult> }> {
  const { pipe_id } = await pipelines.open({ token, object: { name, field: part.fieldname }, mimeType: part.mimetype || 'text/plain' });
  try {
    if (part.type === 'file') {
      // The file is one write, as a client's upload of it: its text is one text of the item (RocketRide's rule
      // separates writes), not pieces cut where the network did. Read it whole even when too large: the parts
      // that follow come after it.
      const chunks: Buffer[] = [];
      for await (const chunk of part.file) chunks.push(chunk as Buffer);
      if (part.file.truncated) throw new SidexError('ITEM_TOO_LARGE', `data: the file exceeds ${MULTIPART_LIMITS.fileSize - 1} bytes`, { field: 'data' });
      await pipelines.write({ token, pipe_id, data: Buffer.concat(chunks) });
    } else {
      if (part.valueTruncated) throw new SidexError('ITEM_TOO_LARGE', `data: the field exceeds ${MULTIPART_LIMITS.fieldSize} bytes`, { field: 'data' });
      await pipelines.write({ token, pipe_id, data: String(part.value ?? '') });
    }
  } catch (err) {
    await pipelines.abandon({ token, pipe_id }).catch(() => {});
    throw err;
  }
  return { result: pipelines.close({ token, pipe_id }) };
}
