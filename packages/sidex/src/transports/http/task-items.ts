// The items of `POST /task/data`: one per multipart field (a file's bytes are
// written as they arrive), or the raw body as one item. Each goes through the
// pipeline service's open / write / close; a pipe the request leaves open (a
// failed write, a client gone mid-upload) is abandoned.
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { errorParts, SidexError } from '../../errors.js';
import type { ItemResult } from '../../runtime/pipeline-host/pipeline.js';
import type { PipelineService } from '../../services/pipeline-service.js';

/** Limits of the multipart parser; the item size itself is the service's to check. */
export const MULTIPART_LIMITS = {
  parts: 1000,
  fields: 1000,
  files: 1000,
  fieldSize: 16 * 1024 * 1024,
  fileSize: 16 * 1024 * 1024 + 1,
};

type Outcome = { name: string; ok: true; result: ItemResult } | { name: string; ok: false; code: string; error: string };

/** The media type of a header value, without its parameters. */
const mediaType = (header: string | undefined) => header?.split(';')[0]?.trim() || 'application/octet-stream';

/** The raw body as one item. */
export async function rawItem(pipelines: PipelineService, token: string, request: FastifyRequest, name: string | undefined): Promise<ItemResult> {
  const body = request.body;
  if (!Buffer.isBuffer(body) || body.length === 0) {
    throw new SidexError('INVALID_DATA', 'body: empty; send the item as the request body, or one item per field as multipart/form-data', { field: 'body' });
  }
  return pipelines.send(token, body, name ? { name } : {}, mediaType(request.headers['content-type']));
}

/**
 * One item per part, in order. Items are handed to the task as soon as they
 * are read, so they run while later parts arrive; the reply waits for all.
 * After a failure the remaining parts are read but not sent.
 */
export async function multipartItems(pipelines: PipelineService, token: string, request: FastifyRequest): Promise<ItemResult[]> {
  const pending: Array<{ name: string; result: Promise<ItemResult> }> = [];
  let failure: { name: string; error: unknown } | undefined;
  try {
    for await (const part of request.parts({ limits: MULTIPART_LIMITS })) {
      const name = part.type === 'file' ? part.filename || part.fieldname : part.fieldname;
      if (failure) {
        if (part.type === 'file') part.file.resume();
        continue;
      }
      try {
        const { result } = await oneItem(pipelines, token, part, name);
        result.catch(() => {}); // awaited below
        pending.push({ name, result });
      } catch (error) {
        failure = { name, error };
      }
    }
  } catch (err) {
    // The body itself is malformed, over the parser's limits, or the client went away.
    const tooLarge = (err as { statusCode?: number }).statusCode === 413;
    failure ??= { name: '(body)', error: new SidexError(tooLarge ? 'BODY_TOO_LARGE' : 'INVALID_BODY', `body: ${(err as Error).message}`, { field: 'body' }) };
  }
  const settled = await Promise.allSettled(pending.map((p) => p.result));
  const outcomes: Outcome[] = settled.map((s, i) => {
    const name = pending[i]!.name;
    if (s.status === 'fulfilled') return { name, ok: true, result: s.value };
    failure ??= { name, error: s.reason };
    return { name, ok: false, ...describe(s.reason) };
  });
  if (failure) {
    const { code, error } = describe(failure.error);
    if (!outcomes.some((o) => o.name === failure!.name && !o.ok)) outcomes.push({ name: failure.name, ok: false, code, error });
    throw new SidexError(code, `item "${failure.name}": ${error}`, { items: outcomes });
  }
  if (outcomes.length === 0) throw new SidexError('INVALID_DATA', 'body: the multipart body has no fields; each field is one item', { field: 'body' });
  return outcomes.map((o) => (o as { result: ItemResult }).result);
}

/** Opens a pipe, writes the part into it and closes it; answers the item's result, to come. */
async function oneItem(pipelines: PipelineService, token: string, part: MultipartFile | MultipartValue, name: string): Promise<{ result: Promise<ItemResult> }> {
  const { pipe_id } = await pipelines.open({ token, object: { name, field: part.fieldname }, mimeType: part.mimetype || 'text/plain' });
  let error: unknown;
  try {
    if (part.type === 'file') {
      // Read the whole file even after a failed write: the parts that follow come after it.
      for await (const chunk of part.file) {
        if (error === undefined) await pipelines.write({ token, pipe_id, data: chunk as Buffer }).catch((err: unknown) => (error = err));
      }
      if (part.file.truncated) error ??= new SidexError('ITEM_TOO_LARGE', `data: the file exceeds ${MULTIPART_LIMITS.fileSize - 1} bytes`, { field: 'data' });
    } else {
      if (part.valueTruncated) throw new SidexError('ITEM_TOO_LARGE', `data: the field exceeds ${MULTIPART_LIMITS.fieldSize} bytes`, { field: 'data' });
      await pipelines.write({ token, pipe_id, data: String(part.value ?? '') });
    }
    if (error !== undefined) throw error;
  } catch (err) {
    await pipelines.abandon({ token, pipe_id }).catch(() => {});
    throw err;
  }
  return { result: pipelines.close({ token, pipe_id }) };
}

function describe(err: unknown): { code: string; error: string } {
  const { code, message } = errorParts(err);
  return { code, error: message };
}
