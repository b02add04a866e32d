// RocketRide's HTTP routes on a real `sidex serve`: POST /task, GET /task,
// DELETE /task, POST /task/data (multipart: one item per field; raw: one
// item), each with the key, without it and with a wrong one.
import { describe, expect, it } from 'vitest';
import { codeChain, takes } from './fixtures/pipelines.js';
import { startTestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const server = await startTestServer();

async function call(method: string, route: string, init: { key?: string | null; body?: RequestInit['body']; type?: string } = {}): Promise<{ status: number; json: any }> {
  const { key = server.apiKey, body, type } = init;
  const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(type ? { 'content-type': type } : {}) };
  const res = await fetch(`${server.url}${route}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, json: await res.json() };
}
const json = (value: unknown) => ({ body: JSON.stringify(value), type: 'application/json' });

async function start(pipeline: object = codeChain('return input.toUpperCase()'), query = ''): Promise<string> {
  const { status, json: reply } = await call('POST', `/task${query}`, json(pipeline));
  expect(status, JSON.stringify(reply)).toBe(200);
  return reply.data.token as string;
}

describe('the key', () => {
  const routes: Array<[string, string]> = [
    ['POST', '/task'],
    ['GET', '/task?token=tk_x'],
    ['DELETE', '/task?token=tk_x'],
    ['POST', '/task/data?token=tk_x'],
  ];
  for (const [method, route] of routes) {
    it(`${method} ${route.split('?')[0]}: 401 without a key and with a wrong one, in the {status: 'Error'} envelope`, async () => {
      for (const key of [null, 'wrong-key-wrong-key']) {
        const { status, json: reply } = await call(method, route, { key, ...(method === 'POST' ? json({ components: [] }) : {}) });
        expect(status).toBe(401);
        expect(reply).toMatchObject({ status: 'Error', error: { code: 'UNAUTHORIZED', message: expect.stringMatching(key ? /not valid/ : /required/) } });
      }
    });
  }

  it('nothing was started by the refused requests', async () => {
    const dap = await call('GET', '/v1/executions?type=task');
    expect(dap.json.executions).toEqual([]);
  });
});

describe('POST /task, GET /task, DELETE /task', () => {
  it('starts a task (threads and token in the query; the {pipeline: {...}} wrapper), reads its status, terminates it', async () => {
    const token = await start({ pipeline: codeChain('return input') }, '?threads=3&token=my-own.token');
    expect(token).toBe('my-own.token');
    const running = await call('GET', `/task?token=${token}`);
    expect(running).toMatchObject({ status: 200, json: { status: 'OK', data: { token, state: 3, status: 'Running', threads: 3 } } });
    const terminated = await call('DELETE', `/task?token=${token}`);
    expect(terminated).toMatchObject({ status: 200, json: { status: 'OK', data: {} } });
    expect((await call('GET', `/task?token=${token}`)).json.data).toMatchObject({ state: 6, status: 'Stopped', completed: true });
    // After the end there is nothing to terminate (seed 004): HTTP 400, TASK_TERMINATED.
    const again = await call('DELETE', `/task?token=${token}`);
    expect(again).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'TASK_TERMINATED', message: expect.stringMatching(/is not running: it has already ended \(Stopped/) } } });
  });

  it('bad input is HTTP 400 with what and where, and starts nothing', async () => {
    const noBody = await call('POST', '/task', { type: 'application/json', body: '{bad' });
    expect(noBody).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'INVALID_BODY' } } });
    const invalid = await call('POST', '/task', json({ components: [{ id: 'a', provider: 'nope', config: { mode: 'Source' } }] }));
    expect(invalid).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'INVALID_PIPELINE', message: expect.stringMatching(/nope/) } } });
    const threads = await call('POST', '/task?threads=many', json(codeChain('return input')));
    expect(threads).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/^threads: must be a number/) } } });
    const unknownQuery = await call('GET', '/task?tokn=x');
    expect(unknownQuery.status).toBe(400);
    expect(unknownQuery.json.error.message).toMatch(/token: is required/);
    const unknown = await call('GET', '/task?token=tk_never');
    expect(unknown).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'TASK_NOT_FOUND', message: 'no task with token "tk_never"' } } });
    expect((await call('DELETE', '/task?token=tk_never')).json.error.code).toBe('TASK_NOT_FOUND');
    expect((await call('GET', '/v1/executions?type=task')).json.executions).toHaveLength(1); // the task of the test before
  });

  it('DELETE with drainMs cancels an item that outlives it', async () => {
    const token = await start(codeChain(takes(60_000)));
    const item = call('POST', `/task/data?token=${token}`, { body: 'slow', type: 'text/plain' });
    await eventually(async () => (await call('GET', `/task?token=${token}`)).json.data.inProgressCount === 1);
    expect((await call('DELETE', `/task?token=${token}&drainMs=100`)).json).toEqual({ status: 'OK', data: {} });
    expect(await item).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'ITEM_CANCELLED' } } });
    expect((await call('GET', `/task?token=${token}`)).json.data).toMatchObject({ state: 6, cancelledCount: 1 });
  });
});

describe('POST /task/data', () => {
  it('the raw body is one item, whatever its content type', async () => {
    const token = await start();
    const text = await call('POST', `/task/data?token=${token}&name=note.txt`, { body: 'hello raw', type: 'text/plain; charset=utf-8' });
    expect(text).toEqual({ status: 200, json: { status: 'OK', data: expect.objectContaining({ name: 'note.txt', text: ['HELLO RAW\n\n'], result_types: { text: 'text' } }) } });
    // As RocketRide's webhook: only text types go on the text lane; JSON and bytes go raw on tags (and data).
    const jsonItem = await call('POST', `/task/data?token=${token}`, json({ a: 1 }));
    expect(jsonItem.json.data).toEqual({ name: expect.stringMatching(/^[0-9a-f-]{36}$/), path: '', objectId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const bytes = await call('POST', `/task/data?token=${token}`, { body: new Uint8Array([104, 105]), type: 'application/octet-stream' });
    expect(bytes.json.data.text).toBeUndefined();
    expect(await call('POST', `/task/data?token=${token}`, { body: '', type: 'text/plain' })).toMatchObject({ status: 400, json: { error: { code: 'INVALID_DATA' } } });
    expect((await call('GET', `/task?token=${token}`)).json.data).toMatchObject({ totalCount: 3, completedCount: 3 });
    await call('DELETE', `/task?token=${token}`);
  });

  it('multipart: one item per field and per file, in order, named by field or file name', async () => {
    const token = await start(codeChain('return input.toUpperCase()'), '?threads=2');
    const form = new FormData();
    form.append('first', 'one');
    form.append('upload', new Blob(['file body'], { type: 'text/plain' }), 'doc.txt');
    form.append('third', 'three');
    const { status, json: reply } = await call('POST', `/task/data?token=${token}`, { body: form });
    expect(status, JSON.stringify(reply)).toBe(200);
    expect(reply.data.map((r: { name: string; text: string[] }) => [r.name, r.text[0]])).toEqual([
      ['first', 'ONE\n\n'],
      ['doc.txt', 'FILE BODY\n\n'],
      ['third', 'THREE\n\n'],
    ]);
    expect((await call('GET', `/task?token=${token}`)).json.data).toMatchObject({ totalCount: 3, completedCount: 3, inProgressCount: 0 });
    await call('DELETE', `/task?token=${token}`);
  });

  it('a failing item is reported with the outcome of every item; a terminated task refuses data', async () => {
    const token = await start(codeChain('if (input === "bad") throw new Error("no bad input"); return input'));
    const form = new FormData();
    form.append('a', 'good');
    form.append('b', 'bad');
    const failed = await call('POST', `/task/data?token=${token}`, { body: form });
    expect(failed.status).toBe(400);
    expect(failed.json.error).toMatchObject({ code: 'ITEM_FAILED', message: expect.stringMatching(/^item "b": .*no bad input/) });
    expect(failed.json.error.details.items).toEqual([
      { name: 'a', ok: true, result: expect.objectContaining({ text: ['good\n\n'] }) },
      { name: 'b', ok: false, code: 'ITEM_FAILED', error: expect.stringMatching(/no bad input/) },
    ]);
    await call('DELETE', `/task?token=${token}`);
    const refused = await call('POST', `/task/data?token=${token}`, { body: 'late', type: 'text/plain' });
    expect(refused).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'TASK_NOT_RUNNING' } } });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await call('GET', '/v1/openapi.json')).json;
    expect(Object.keys(doc.paths['/task'])).toEqual(['post', 'get', 'delete']);
    expect(doc.paths['/task/data'].post.parameters.map((p: { name: string }) => p.name)).toEqual(['token', 'name']);
  });
});
