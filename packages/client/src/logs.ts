import { SidexClientError } from './errors.js';
import type { LogLine } from '@sidex/protocol';

/**
 * An execution's output from `GET /v1/executions/:id/logs`: NDJSON lines, or
 * with follow an SSE stream that ends when the execution ends.
 */
export async function* readLogs(httpUrl: string, apiKey: string | undefined, id: string, follow: boolean, encoding: 'utf8' | 'base64' = 'utf8'): AsyncGenerator<LogLine> {
  const query = new URLSearchParams({ ...(follow ? { follow: 'true' } : {}), ...(encoding === 'base64' ? { encoding } : {}) }).toString();
  const url = `${httpUrl}/v1/executions/${encodeURIComponent(id)}/logs${query ? `?${query}` : ''}`;
  const response = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} }).catch((err: Error) => {
    throw new SidexClientError('CONNECTION_FAILED', `cannot reach ${httpUrl}: ${err.message}`);
  });
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => ({}))) as { error?: string; code?: string };
    throw Object.assign(new SidexClientError('HTTP_ERROR', body.error ?? `HTTP ${response.status}`), { replyCode: body.code, status: response.status });
  }
  const decoder = new TextDecoder();
  let buffered = '';
  const separator = follow ? '\n\n' : '\n';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffered.indexOf(separator)) >= 0) {
      const record = buffered.slice(0, at);
      buffered = buffered.slice(at + separator.length);
      const line = follow ? parseSse(record) : record.trim() ? (JSON.parse(record) as LogLine) : undefined;
      if (line) yield line;
    }
  }
}

/** An `output` event's data; other events (`end`) carry no output. */
function parseSse(record: string): LogLine | undefined {
  let event = 'message';
  let data = '';
  for (const line of record.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  return event === 'output' && data ? (JSON.parse(data) as LogLine) : undefined;
}
