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
    expect((await call('GET', `/task?token=${token}`)).json.data.threads).toBe(3);
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
    expect(invalid).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'UNSUPPORTED_COMPONENTS', message: 'pipeline: sidex does not provide nope, used by the component "a" (nope)' } } });
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
    expect(await item).toMatchObject({ status: 200, json: { status: 'OK', data: { objectsCompleted: 0, objects: { body: { status: 'Error', error: { code: 'ITEM_CANCELLED' } } } } } });
    expect((await call('GET', `/task?token=${token}`)).json.data).toMatchObject({ state: 6, cancelledCount: 1 });
  });
});

describe('POST /task/data', () => {
  const UUID = /^[0-9a-f-]{36}$/;
  it('the raw body is one item (field "body"), named by ?name, its Content-Disposition filename, or stream-<uuid>', async () => {
    const token = await start();
    const text = await call('POST', `/task/data?token=${token}&name=note.txt`, { body: 'hello raw', type: 'text/plain; charset=utf-8' });
    expect(text).toEqual({
      status: 200,
      json: { status: 'OK', data: { objectsRequested: 1, objectsCompleted: 1, resultTypes: { text: 'text' }, objects: { body: { name: 'note.txt', path: '', objectId: expect.stringMatching(UUID), text: ['HELLO RAW\n\n'], status: 'OK' } } } },
    });
    const res = await fetch(`${server.url}/task/data?token=${token}`, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'text/plain', 'content-disposition': 'attachment; filename="report.txt"' }, body: 'named' });
    expect(((await res.json()) as any).data.objects.body).toMatchObject({ name: 'report.txt', text: ['NAMED\n\n'] });
    // As RocketRide's webhook: only text types go on the text lane; JSON and bytes go raw on tags (and data).
    const jsonItem = await call('POST', `/task/data?token=${token}`, json({ a: 1 }));
    expect(jsonItem.json.data).toEqual({ objectsRequested: 1, objectsCompleted: 1, resultTypes: {}, objects: { body: { name: expect.stringMatching(/^stream-[0-9a-f-]{36}$/), path: '', objectId: expect.stringMatching(UUID), status: 'OK' } } });
    const bytes = await call('POST', `/task/data?token=${token}`, { body: new Uint8Array([104, 105]), type: 'application/octet-stream' });
    expect(bytes.json.data.objects.body.text).toBeUndefined();
    expect(await call('POST', `/task/data?token=${token}`, { body: '', type: 'text/plain' })).toMatchObject({ status: 400, json: { error: { code: 'INVALID_DATA' } } });
    expect((await call('GET', `/task?token=${token}`)).json.data).toMatchObject({ totalCount: 4, completedCount: 4 });
    await call('DELETE', `/task?token=${token}`);
  });

  it('multipart: one item per field and per file, keyed by field (field_0, field_1 when it repeats), named by field or file name; POST /webhook is the same', async () => {
    const token = await start(codeChain('return input.toUpperCase()'), '?threads=2');
    for (const route of ['/task/data', '/webhook']) {
      const form = new FormData();
      form.append('first', 'one');
      form.append('upload', new Blob(['file body'], { type: 'text/plain' }), 'doc.txt');
      form.append('upload', new Blob(['second'], { type: 'text/plain' }), 'two.txt');
      const { status, json: reply } = await call('POST', `${route}?token=${token}`, { body: form });
      expect(status, JSON.stringify(reply)).toBe(200);
      expect(reply.data).toMatchObject({ objectsRequested: 3, objectsCompleted: 3, resultTypes: { text: 'text' } });
      expect(Object.entries(reply.data.objects).map(([key, r]: [string, any]) => [key, r.name, r.text[0], r.status])).toEqual([
        ['first', 'first', 'ONE\n\n', 'OK'],
        ['upload_0', 'doc.txt', 'FILE BODY\n\n', 'OK'],
        ['upload_1', 'two.txt', 'SECOND\n\n', 'OK'],
      ]);
    }
    expect((await call('GET', `/task?token=${token}`)).json.data).toMatchObject({ totalCount: 6, completedCount: 6, inProgressCount: 0 });
    await call('DELETE', `/task?token=${token}`);
  });

  it('a failing item is an error object among the others (HTTP 200); a terminated task refuses the request (HTTP 400)', async () => {
    const token = await start(codeChain('if (input === "bad") throw new Error("no bad input"); return input'));
    const form = new FormData();
    form.append('a', 'good');
    form.append('b', 'bad');
    const partly = await call('POST', `/task/data?token=${token}`, { body: form });
    expect(partly.status).toBe(200);
    expect(partly.json.data).toMatchObject({ objectsRequested: 2, objectsCompleted: 1, objects: { a: { text: ['good\n\n'], status: 'OK' }, b: { status: 'Error', error: { code: 'ITEM_FAILED', message: expect.stringMatching(/no bad input/) } } } });
    await call('DELETE', `/task?token=${token}`);
    const refused = await call('POST', `/task/data?token=${token}`, { body: 'late', type: 'text/plain' });
    expect(refused).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'TASK_NOT_RUNNING', message: expect.stringMatching(/is not running/) } } });
    const refusedForm = new FormData();
    refusedForm.append('a', 'late');
    expect(await call('POST', `/task/data?token=${token}`, { body: refusedForm })).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'TASK_NOT_RUNNING' } } });
  });

  it('a multipart body that ends malformed fails the request, with the outcome of the whole items read before (they ran)', async () => {
    const token = await start(codeChain('return input.toUpperCase()'));
    const truncated = '--XX\r\nContent-Disposition: form-data; name="a"\r\n\r\nhello\r\n--XX\r\nContent-Disposition: form-data; name="b"\r\n\r\nworld\r\n--XX';
    const reply = await call('POST', `/task/data?token=${token}`, { body: truncated, type: 'multipart/form-data; boundary=XX' });
    expect(reply).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'INVALID_BODY', details: { field: 'body' } } } });
    expect(reply.json.error.details.items).toMatchObject({ objectsRequested: 2, objectsCompleted: 2, objects: { a: { text: ['HELLO\n\n'], status: 'OK' }, b: { text: ['WORLD\n\n'], status: 'OK' } } });
    expect((await call('GET', `/task?token=${token}`)).json.data).toMatchObject({ totalCount: 2, completedCount: 2 });
    const cutInHeaders = await call('POST', `/task/data?token=${token}`, { body: '--XX\r\nContent-Disposition: form-da', type: 'multipart/form-data; boundary=XX' });
    expect(cutInHeaders).toMatchObject({ status: 400, json: { error: { code: 'INVALID_BODY', details: { field: 'body' } } } });
    expect(cutInHeaders.json.error.details.items).toBeUndefined();
    expect((await call('GET', `/task?token=${token}`)).json.data).toMatchObject({ totalCount: 2 });
    await call('DELETE', `/task?token=${token}`);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await call('GET', '/v1/openapi.json')).json;
    expect(Object.keys(doc.paths['/task'])).toEqual(['post', 'put', 'get', 'delete']);
    expect(Object.keys(doc.paths['/webhook'])).toEqual(['post']);
    expect(doc.paths['/task/data'].post.parameters.map((p: { name: string }) => p.name)).toEqual(['token', 'name']);
  });
});

describe('RocketRide\'s HTTP forms', () => {
  it('threads defaults to 4 and must be within 1-64; PUT /task starts a task as POST does', async () => {
    const token = await start(codeChain('return input'));
    expect((await call('GET', `/task?token=${token}`)).json.data.threads).toBe(4);
    await call('DELETE', `/task?token=${token}`);
    for (const [threads, message] of [['0', /^threads: must be at least 1/], ['65', /^threads: must be at most 64/], ['2.5', /^threads: must be a whole number/], ['0x2', /^threads: must be a number of threads/], ['', /^threads: must be a number of threads/]] as const) {
      const reply = await call('POST', `/task?threads=${threads}`, json(codeChain('return input')));
      expect(reply).toMatchObject({ status: 400, json: { status: 'Error', error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) } } });
    }
    expect(await call('GET', '/task?token=a&token=b')).toMatchObject({ status: 400, json: { error: { message: expect.stringMatching(/^token: must be one task token/) } } });
    // An empty ttl was read as 0: a task that never times out.
    expect(await call('POST', '/task?ttl=', json(codeChain('return input')))).toMatchObject({ status: 400, json: { error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^ttl: must be a number of seconds/) } } });
    const put = await call('PUT', '/task?threads=2', json(codeChain('return input')));
    expect(put).toMatchObject({ status: 200, json: { status: 'OK', data: { token: expect.any(String) } } });
    expect((await call('GET', `/task?token=${put.json.data.token}`)).json.data).toMatchObject({ threads: 2, state: 3 });
    await call('DELETE', `/task?token=${put.json.data.token}`);
  });

  it('an unknown route under /task answers in the {status: "Error", error: {message, code}} envelope', async () => {
    for (const [method, route] of [['GET', '/task/nope'], ['POST', '/task/process'], ['GET', '/webhook/x']] as const) {
      const reply = await call(method, route);
      expect(reply).toMatchObject({ status: 404, json: { status: 'Error', error: { code: 'NOT_FOUND', message: expect.stringMatching(new RegExp(`^no route ${method} ${route}: the task routes are`)) } } });
    }
  });
});
