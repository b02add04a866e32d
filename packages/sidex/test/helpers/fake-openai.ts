// A local HTTP server that speaks OpenAI's chat-completions wire format,
// streamed (SSE `data:` chunks, then `data: [DONE]`) or not; it answers with
// `answer(request)` and remembers the requests it got.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAi {
  baseURL: string;
  requests: Array<{ authorization?: string; body: any }>;
  close(): Promise<void>;
}

export async function fakeOpenAi(answer: (body: any) => string): Promise<FakeOpenAi> {
  const requests: FakeOpenAi['requests'] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      const body = JSON.parse(raw);
      requests.push({ ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body });
      const text = answer(body);
      const base = { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model: body.model };
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const pieces = text.match(/.{1,4}/gs) ?? [];
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`);
      for (const piece of pieces) res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
