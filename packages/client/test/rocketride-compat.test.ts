// `@sidex/client/rocketride` against a real `sidex serve`, for what programs
// written for RocketRide's client (and its own test suite) expect: monitors in
// RocketRide's forms, concurrent use() of one token, item results, replies and
// events in RocketRide's shapes, and the commands its client calls.
import { afterAll, describe, expect, it } from 'vitest';
import { RocketRideClient, type DapMessage } from '@sidex/client/rocketride';
import { codeChain } from '../../sidex/test/fixtures/pipelines.js';
import { startTestServer } from '../../sidex/test/helpers/server.js';
import { eventually } from '../../sidex/test/helpers/sidex.js';
import { fakeOpenAi } from '../../sidex/test/helpers/fake-openai.js';

const server = await startTestServer();
const clients: RocketRideClient[] = [];
function client(config: ConstructorParameters<typeof RocketRideClient>[0] = {}): RocketRideClient {
  const c = new RocketRideClient({ uri: server.url, auth: server.apiKey, env: {}, ...config });
  clients.push(c);
  return c;
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.disconnect()));
});
const sdk = client();
await sdk.connect();

/** RocketRide's echo pipeline (its client suite's tests/echo.pipeline.ts). */
const echo = (projectId = 'e612b741-748c-4b35-a8b7-186797a8ea42') => ({
  components: [
    { id: 'webhook_1', provider: 'webhook', name: 'My webhook', description: 'A webhook to receive data', config: { hideForm: true, mode: 'Source', type: 'webhook' } },
    { id: 'response_1', provider: 'response', config: { lanes: [] }, input: [{ lane: 'text', from: 'webhook_1' }] },
  ],
  source: 'webhook_1',
  project_id: projectId,
});

describe('monitors as RocketRide clients set them', () => {
  it('addMonitor by {projectId, source} and setEvents with names sidex has no events for (dashboard, debugger)', async () => {
    const events: DapMessage[] = [];
    const watcher = client({ onEvent: (e) => void events.push(e) });
    await watcher.connect();
    const projectId = 'c0ffee00-0000-4000-a000-000000000001';
    await watcher.addMonitor({ projectId, source: 'webhook_1' }, ['summary', 'task', 'dashboard']);
    const { token } = await sdk.use({ pipeline: { ...codeChain('return input'), project_id: projectId } });
    await sdk.send(token, 'x', {}, 'text/plain');
    expect(await eventually(() => events.some((e) => e.event === 'apaevt_task' && (e.body as { action?: string }).action === 'begin'))).toBe(true);
    expect(await eventually(() => events.some((e) => e.event === 'apaevt_status_update' && (e.body as { completedCount?: number }).completedCount === 1))).toBe(true);
    await watcher.setEvents(token, ['DEBUGGER', 'summary']);
    await sdk.terminate(token);
    expect(await eventually(() => events.some((e) => e.event === 'apaevt_status_update' && (e.body as { state?: number }).state === 6))).toBe(true);
  });
});

describe('use({token, useExisting: true})', () => {
  it('16 at once (the client suite\'s concurrent test) all get the task; each send reaches it', async () => {
    const used = await Promise.all(Array.from({ length: 16 }, () => sdk.use({ pipeline: echo(), token: 'TS-CC', useExisting: true })));
    expect(new Set(used.map((u) => u.token))).toEqual(new Set(['TS-CC']));
    const results = await Promise.all(used.map((u, i) => sdk.send(u.token, `Pipeline-${i} unique`, {}, 'text/plain')));
    expect(results.map((r) => r?.text?.[0])).toEqual(used.map((_, i) => `Pipeline-${i} unique\n\n`));
    await sdk.terminate('TS-CC');
  });
});

const UUID = /^[0-9a-f-]{36}$/;

describe('item results (the client suite\'s Data Operations)', () => {
  it('send without a mime type: a UUID name, no result_types; with text/plain: the text and a blank line; a pipe: one text per write', async () => {
    const { token } = await sdk.use({ pipeline: echo(), token: 'TS-DA' });
    const plain = await sdk.send(token, 'Hello from integration test!');
    expect(plain).toEqual({ name: expect.stringMatching(UUID), path: '', objectId: expect.stringMatching(UUID) });
    expect(plain?.result_types).toBeUndefined();
    const binary = await sdk.send(token, new Uint8Array([72, 101, 108, 108, 111]));
    expect(binary?.result_types).toBeUndefined();
    const text = await sdk.send(token, 'Hello from integration test!', {}, 'text/plain');
    expect(text).toMatchObject({ name: expect.stringMatching(UUID), result_types: { text: 'text' }, text: ['Hello from integration test!\n\n'] });
    const pipe = await sdk.pipe(token, { name: 'test-stream.txt' }, 'text/plain');
    await pipe.open();
    const chunks = ['Hello ', 'from ', 'streaming ', 'test!'];
    for (const chunk of chunks) await pipe.write(new TextEncoder().encode(chunk));
    expect(await pipe.close()).toMatchObject({ name: 'test-stream.txt', text: [chunks.join('\n\n') + '\n\n'] });
    await sdk.terminate(token);
  });
});

describe('replies and events (the client suite\'s Validation and Event Handling)', () => {
  it('validate answers the pipeline; status has metrics, tokens and pipeflow; task events carry the task id and a name', async () => {
    expect(await sdk.validate({ pipeline: echo() })).toHaveProperty('pipeline.source', 'webhook_1');
    expect(await sdk.validate({ pipeline: echo(), source: 'webhook_1' })).toHaveProperty('pipeline');
    const events: DapMessage[] = [];
    const watcher = client({ onEvent: (e) => void events.push(e) });
    await watcher.connect();
    const { token, id } = await sdk.use({ pipeline: echo(), token: 'TS-EV' });
    await watcher.setEvents(token, ['summary', 'task', 'flow']);
    await sdk.send(token, 'Test data for events', {}, 'text/plain');
    const status = await sdk.getTaskStatus(token);
    expect(status).toMatchObject({ metrics: { gpu_memory_mb: 0 }, tokens: { total: 0 }, pipeflow: { totalPipes: 1, byPipe: {} } });
    await sdk.terminate(token);
    expect(await eventually(() => events.some((e) => e.event === 'apaevt_task' && (e.body as { action?: string }).action === 'end'))).toBe(true);
    const ended = events.find((e) => e.event === 'apaevt_task' && (e.body as { action?: string }).action === 'end') as DapMessage & { id?: string };
    expect(ended.id).toBe(id);
    expect(ended.body).toMatchObject({ name: 'webhook_1', projectId: 'e612b741-748c-4b35-a8b7-186797a8ea42', source: 'webhook_1' });
    expect(events.filter((e) => e.event === 'apaevt_flow').map((e) => (e.body as { op: string }).op)).toEqual(['begin', 'enter', 'leave', 'enter', 'leave', 'end']);
  });
});

describe('the commands of the client suite\'s Services and File Store operations', () => {
  it('getServices, getService; an unknown one and an empty name reject', async () => {
    const all = await sdk.getServices();
    expect(typeof all.services).toBe('object');
    const name = Object.keys(all.services)[0]!;
    const single = await sdk.getService(name);
    expect(single && ('title' in single || 'protocol' in single || 'prefix' in single)).toBe(true);
    await expect(sdk.getService('nonexistent_service_xyz')).rejects.toThrow(/not found/);
    await expect(sdk.getService('')).rejects.toThrow(/required/i);
  });

  it('getTaskToken and getTaskPipeline', async () => {
    const { token } = await sdk.use({ pipeline: echo('f00d0000-0000-4000-a000-000000000002') });
    expect(await sdk.getTaskToken({ projectId: 'f00d0000-0000-4000-a000-000000000002', source: 'webhook_1' })).toBe(token);
    expect(await sdk.getTaskPipeline(token)).toEqual(echo('f00d0000-0000-4000-a000-000000000002'));
    await sdk.terminate(token);
    expect(await sdk.getTaskToken({ projectId: 'f00d0000-0000-4000-a000-000000000002', source: 'webhook_1' })).toBeUndefined();
  });

  it('fs handles, chunked reads, strings and JSON, stat and delete', async () => {
    const path = `.test-store/ts-${Math.random().toString(36).slice(2, 10)}`;
    const w = await sdk.fsOpen(path, 'w');
    expect(await sdk.fsWrite(w.handle, new Uint8Array(1000).fill(88))).toBe(1000);
    await sdk.fsClose(w.handle, 'w');
    const r = await sdk.fsOpen(path, 'r');
    expect(r.size).toBe(1000);
    const sizes: number[] = [];
    for (let offset = 0; ; ) {
      const chunk = await sdk.fsRead(r.handle, offset, 300);
      if (chunk.length === 0) break;
      sizes.push(chunk.length);
      offset += chunk.length;
    }
    await sdk.fsClose(r.handle, 'r');
    expect(sizes).toEqual([300, 300, 300, 100]);
    await sdk.fsWriteString(path, 'Hello \u2603 \uD83D\uDE80');
    expect(await sdk.fsReadString(path)).toBe('Hello \u2603 \uD83D\uDE80');
    await sdk.fsWriteJson(path, { name: 'Test', values: [1, 2, 3], nested: { ok: true } });
    expect(await sdk.fsReadJson(path)).toEqual({ name: 'Test', values: [1, 2, 3], nested: { ok: true } });
    expect(await sdk.fsStat(path)).toMatchObject({ exists: true, type: 'file' });
    await sdk.fsDelete(path);
    expect(await sdk.fsStat(path)).toEqual({ exists: false });
    await sdk.fsRmdir('.test-store', true);
  });
});

describe('the pipelines RocketRide users write (the client suite\'s Chat Operations)', () => {
  it('chat() through chat -> llm_openai -> response against a local OpenAI-compatible server; onSSE hears the answer stream', async () => {
    const llm = await fakeOpenAi(() => 'We the People of the United States');
    try {
      const { token } = await sdk.use({
        token: 'TS-CH',
        pipeline: {
          components: [
            { id: 'chat_1', provider: 'chat', config: { hideForm: true, mode: 'Source', type: 'chat' } },
            { id: 'llm_openai_1', provider: 'llm_openai', config: { profile: 'openai-5', 'openai-5': { apikey: 'sk-local', serverbase: llm.baseURL } }, input: [{ lane: 'questions', from: 'chat_1' }] },
            { id: 'response_1', provider: 'response', config: { lanes: [] }, input: [{ lane: 'answers', from: 'llm_openai_1' }] },
          ],
          source: 'chat_1',
          project_id: 'e612b741-748c-4b35-a8b7-186797a8ea42',
        },
      });
      const heard: Array<[string, Record<string, unknown>]> = [];
      const question = { type: 'question', expectJson: false, questions: [{ text: 'Cite the first words of the constitution' }], instructions: [], context: [], examples: [], documents: [] };
      const response = await sdk.chat({ token, question, onSSE: (type, data) => void heard.push([type, data]) });
      expect(response).toMatchObject({ name: expect.stringMatching(UUID), objectId: expect.stringMatching(UUID), result_types: { answers: 'answers' }, answers: ['We the People of the United States'] });
      expect(await eventually(() => heard.some(([type]) => type === 'answer'))).toBe(true);
      expect(heard.filter(([type]) => type === 'token').map(([, data]) => data.text).join('')).toBe('We the People of the United States');
      await sdk.terminate(token);
    } finally {
      await llm.close();
    }
  });
});
