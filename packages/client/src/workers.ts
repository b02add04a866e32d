import { SidexClientError } from './errors.js';
import type { Reply, WorkersFields } from '@sidex/protocol';

/**
 * `GET /v1/workers`: a REST read (no Codebolt action exists for it). A
 * refused key throws UNAUTHORIZED as the WebSocket does, a server that cannot
 * be reached CONNECTION_FAILED, and no answer within the client's request
 * timeout TIMEOUT; the server's other failures come back as a `success: false` reply.
 */
export async function readWorkers(httpUrl: string, apiKey: string | undefined, timeoutMs: number): Promise<Reply<WorkersFields>> {
  const signal = AbortSignal.timeout(timeoutMs);
  const response = await fetch(`${httpUrl}/v1/workers`, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal }).catch((err: Error) => {
    if (signal.aborted) throw new SidexClientError('TIMEOUT', `GET ${httpUrl}/v1/workers had no answer within ${timeoutMs} ms`);
    throw new SidexClientError('CONNECTION_FAILED', `cannot reach ${httpUrl}: ${err.message}`);
  });
  const body = (await response.json().catch(() => undefined)) as (Reply<WorkersFields> & { error?: string }) | undefined;
  if (response.status === 401) throw new SidexClientError('UNAUTHORIZED', `${httpUrl} refused the API key: ${body?.error ?? 'HTTP 401'}`);
  if (!body || typeof body.success !== 'boolean') throw new SidexClientError('BAD_REPLY', `${httpUrl}/v1/workers answered HTTP ${response.status} without a sidex reply`);
  return body;
}
