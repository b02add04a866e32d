// The REST API under /v1, its OpenAPI document, /healthz and authentication, over real HTTP.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { writeTestBlocks } from './fixtures/blocks.js';
import { api, startTestServer } from './helpers/server.js';
import { eventually, sleep, untilEnded } from './helpers/sidex.js';

const server = await startTestServer({ project: writeTestBlocks });
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
const post = (route: string, body: unknown) => api(server, route, { method: 'POST', body: JSON.stringify(body) }).then(json);
const get = (route: string) => api(server, route).then(json);

async function started(code: string): Promise<string> {
  const { status, body } = await post('/v1/executions', { inlineCode: code });
  expect(status).toBe(201);
  return body.sideExecutionId;
}

const executionCount = async () => (await get('/v1/executions?limit=1000')).body.executions.length as number;
const ended = (id: string) => untilEnded(async () => (await get(`/v1/executions/${id}`)).body.status);

const ROUTES: Array<[string, string, unknown?]> = [
  ['GET', '/v1/executions'],
  ['GET', '/v1/executions/counts'],
  ['POST', '/v1/executions', { inlineCode: 'return 1' }],
  ['GET', '/v1/executions/side_1_00000000'],
  ['POST', '/v1/executions/side_1_00000000/stop', {}],
  ['GET', '/v1/executions/side_1_00000000/logs'],
  ['GET', '/v1/executions/side_1_00000000/events'],
  ['GET', '/v1/action-blocks'],
  ['GET', '/v1/action-blocks/echo'],
  ['POST', '/v1/action-blocks/echo/start', {}],
  ['GET', '/v1/openapi.json'],
  ['GET', '/v1/no-such-route'],
];

describe('authentication', () => {
  it.each(ROUTES)('%s %s is refused without a key and with a wrong one', async (method, route, body) => {
    for (const key of [null, 'wrong-key-wrong-key']) {
      const res = await api(server, route, { method, key, ...(body ? { body: JSON.stringify(body) } : {}) });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
  });

  it('a malformed Authorization header is refused, saying what is wrong with it', async () => {
    const res = await fetch(`${server.url}/v1/executions`, { headers: { authorization: `Basic ${server.apiKey}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED', error: 'the Authorization header must be "Bearer <key>"' });
    const bare = await fetch(`${server.url}/v1/executions`, { headers: { authorization: server.apiKey } });
    expect(await bare.json()).toMatchObject({ code: 'UNAUTHORIZED', error: 'the Authorization header must be "Bearer <key>"' });
  });

  it('/healthz answers without a key', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', version: expect.any(String) });
  });
});

describe('executions', () => {
  it('POST /v1/executions starts inline code; GET /v1/executions/:id follows it to the end', async () => {
    const id = await started('console.log("hi"); return params.x ?? 42');
    await ended(id);
    const { status, body } = await get(`/v1/executions/${id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ type: 'getSideExecutionStatusResponse', success: true, status: 'completed', result: 42, output: 'hi\n' });
    expect(body.data.result).toBe(42);
  });

  it('POST /v1/executions starts an action block with params and timeout', async () => {
    const { status, body } = await post('/v1/executions', { actionBlockPath: '.codebolt/actionblocks/quick', params: { p: 1 }, timeout: 5000 });
    expect(status).toBe(201);
    await ended(body.sideExecutionId);
    expect((await get(`/v1/executions/${body.sideExecutionId}`)).body).toMatchObject({ status: 'completed', result: { quick: true, params: { p: 1 } } });
  });

  it('POST /v1/executions: bad input is a 400 naming the field; nothing starts', async () => {
    const before = (await get('/v1/executions?limit=1000')).body.executions.length;
    const cases: Array<[unknown, string]> = [
      [{}, 'INVALID_ARGUMENT'],
      [{ inlineCode: 'return (' }, 'SYNTAX_ERROR'],
      [{ inlineCode: 5 }, 'INVALID_CODE'],
      [{ inlineCode: 'return 1', params: [1] }, 'INVALID_PARAMS'],
      [{ inlineCode: 'return 1', timeout: 'x' }, 'INVALID_TIMEOUT'],
      [{ inlineCode: 'return 1', extra: true }, 'INVALID_ARGUMENT'],
      // An unknown key is not the known field it is named like (the timeout is `timeout`, in seconds).
      [{ inlineCode: 'return 1', timeoutMs: 100 }, 'INVALID_ARGUMENT'],
      [{ actionBlockPath: '/etc' }, 'PATH_OUTSIDE_ROOTS'],
    ];
    for (const [body, code] of cases) {
      const reply = await post('/v1/executions', body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(reply.body).toMatchObject({ success: false, code });
    }
    expect((await get('/v1/executions?limit=1000')).body.executions.length).toBe(before);
  });

  it('a route that takes no query or no body refuses one, naming it, and changes nothing', async () => {
    const id = await started('ctx.onStop(() => "partial"); console.log("ready"); await new Promise(r => setTimeout(r, 60000))');
    expect(await eventually(async () => String((await get(`/v1/executions/${id}`)).body.output).includes('ready'))).toBe(true);
    const forced = await post(`/v1/executions/${id}/stop?force=true`, {});
    expect(forced).toMatchObject({ status: 400, body: { success: false, code: 'INVALID_ARGUMENT', error: 'force: unknown field', details: { field: 'force' } } });
    expect((await get(`/v1/executions/${id}`)).body.status).toBe('running');
    expect(await get('/v1/executions/counts?status=failed')).toMatchObject({ status: 400, body: { details: { field: 'status' } } });
    // Read as 0 (and 0x5 as 5) before.
    for (const [query, field] of [['until=', 'until'], ['since=%20', 'since'], ['limit=0x5', 'limit']]) {
      expect(await get(`/v1/executions?${query}`), query).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT', details: { field } } });
    }
    expect(await get(`/v1/executions/${id}/events?after=`)).toMatchObject({ status: 400, body: { details: { field: 'after' } } });
    expect(await get('/v1/events?bogus=1')).toMatchObject({ status: 400, body: { details: { field: 'bogus' } } });
    expect(await get('/v1/tasks?bogus=1')).toMatchObject({ status: 400, body: { details: { field: 'bogus' } } });
    // Ignored before: the JSON lines carry both streams.
    expect(await get(`/v1/executions/${id}/logs?stream=stderr`)).toMatchObject({ status: 400, body: { details: { field: 'stream' } } });
    expect(await post('/v1/executions', { inlineCode: 'return 1', options: { tags: ['a', 'a'] } })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/options\.tags: must not list a tag twice/) } });
    const gzipped = await api(server, '/v1/executions', { method: 'POST', body: '{"inlineCode":"return 1"}', headers: { 'content-encoding': 'gzip' } }).then(json);
    expect(gzipped).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE', error: expect.stringMatching(/content-encoding gzip is not taken/) } });
    expect((await post(`/v1/executions/${id}/stop`, {})).body).toMatchObject({ status: 'stopped', forced: false });
    const before = await executionCount();
    expect(await post(`/v1/executions/${id}/resume`, { params: { a: 1 } })).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT', details: { field: 'params' } } });
    expect(await executionCount()).toBe(before);
  });

  it('GET /v1/executions filters by status and pages with a cursor', async () => {
    for (let i = 0; i < 3; i++) await started('return 1');
    const running = await started('await new Promise(r => setTimeout(r, 60000))');
    const listed = async () => (await get('/v1/executions?status=running')).body.executions.some((e: { sideExecutionId: string }) => e.sideExecutionId === running);
    expect(await eventually(listed)).toBe(true);
    const onlyRunning = (await get('/v1/executions?status=running')).body;
    expect(onlyRunning.executions.map((e: { sideExecutionId: string }) => e.sideExecutionId)).toContain(running);
    expect(onlyRunning.executions.every((e: { status: string }) => e.status === 'running')).toBe(true);
    const page1 = (await get('/v1/executions?limit=2&status=completed,running')).body;
    expect(page1.executions).toHaveLength(2);
    const page2 = (await get(`/v1/executions?limit=2&status=completed,running&cursor=${page1.nextCursor}`)).body;
    const ids1 = page1.executions.map((e: { sideExecutionId: string }) => e.sideExecutionId);
    expect(page2.executions.some((e: { sideExecutionId: string }) => ids1.includes(e.sideExecutionId))).toBe(false);
    expect((await get('/v1/executions?limit=0')).status).toBe(400);
    expect((await get('/v1/executions?status=bogus')).body).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
    expect((await get('/v1/executions?cursor=zzz')).body).toMatchObject({ success: false, code: 'INVALID_CURSOR' });
    expect((await get('/v1/executions?nope=1')).status).toBe(400);
    await post(`/v1/executions/${running}/stop`, { graceMs: 100 });
  });

  it('GET /v1/executions/:id/events gives the history; bad paging is a 400', async () => {
    const id = await started('return 1');
    await ended(id);
    const { status, body } = await get(`/v1/executions/${id}/events`);
    expect(status).toBe(200);
    expect(body.events.map((e: { data: { status: string } }) => e.data.status)).toEqual(['queued', 'starting', 'running', 'completed']);
    expect((await get(`/v1/executions/${id}/events?after=2&limit=1`)).body.events.map((e: { seq: number }) => e.seq)).toEqual([3]);
    expect((await get(`/v1/executions/${id}/events?limit=0`)).status).toBe(400);
    expect((await get('/v1/executions/side_1_00000000/events')).status).toBe(404);
  });

  it('GET /v1/executions finds by text in the name, time range and type; /counts counts by status', async () => {
    const { body } = await post('/v1/executions', { inlineCode: 'return 1', options: { name: 'Nightly-Report' } });
    const id = body.sideExecutionId as string;
    await ended(id);
    const found = (await get(`/v1/executions?q=nightly&since=${Date.now() - 60_000}&type=side`)).body;
    expect(found.executions.map((e: { sideExecutionId: string }) => e.sideExecutionId)).toEqual([id]);
    expect((await get(`/v1/executions?q=nightly&until=${Date.now() - 60_000}`)).body.executions).toEqual([]);
    expect((await get('/v1/executions?q=nightly&type=cap')).body.executions).toEqual([]);
    expect((await get('/v1/executions?type=bogus')).status).toBe(400);
    const counts = (await get('/v1/executions/counts')).body;
    expect(counts).toMatchObject({ success: true, type: 'countSideExecutionsResponse' });
    expect(counts.counts.completed).toBeGreaterThanOrEqual(1);
    expect(Object.keys(counts.counts).sort()).toEqual(['completed', 'failed', 'queued', 'running', 'starting', 'stopped', 'stopping', 'timeout']);
  });

  it('POST /v1/executions/:id/stop runs the stop protocol; again: already_stopped; unknown: 404; finished: 409', async () => {
    const id = await started('ctx.onStop(() => "partial"); console.log("ready"); await new Promise(r => setTimeout(r, 60000))');
    expect(await eventually(async () => String((await get(`/v1/executions/${id}`)).body.output).includes('ready'))).toBe(true);
    const stopped = await post(`/v1/executions/${id}/stop`, {});
    expect(stopped).toMatchObject({ status: 200, body: { success: true, status: 'stopped', result: 'partial' } });
    expect((await post(`/v1/executions/${id}/stop`, {})).body.status).toBe('already_stopped');
    expect((await post('/v1/executions/side_1_00000000/stop', {})).status).toBe(404);
    const done = await started('return 1');
    await ended(done);
    expect(await post(`/v1/executions/${done}/stop`, {})).toMatchObject({ status: 409, body: { code: 'ALREADY_FINISHED' } });
    expect((await post(`/v1/executions/${done}/stop`, { graceMs: -1 })).status).toBe(400);
    const noBody = await api(server, `/v1/executions/${done}/stop`, { method: 'POST' });
    expect(noBody.status).toBe(409);
  });

  it('GET /v1/executions/:id/logs gives NDJSON lines; follow=true an SSE stream until the end', async () => {
    const id = await started('for (let i = 0; i < 5; i++) { console.log("line " + i); console.error("err " + i); await new Promise(r => setTimeout(r, 50)); } return "done"');
    const res = await api(server, `/v1/executions/${id}/logs?follow=true`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const events = [...text.matchAll(/event: output\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]!) as { stream: string; data: string });
    const joined = (stream: string) => events.filter((e) => e.stream === stream).map((e) => e.data).join('');
    expect(joined('stdout')).toBe('line 0\nline 1\nline 2\nline 3\nline 4\n');
    expect(joined('stderr')).toBe('err 0\nerr 1\nerr 2\nerr 3\nerr 4\n');
    expect(text).toMatch(/event: end\ndata: \{[^\n]*"status":"completed"[^\n]*"result":"done"/);
    const plain = await api(server, `/v1/executions/${id}/logs`);
    expect(plain.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await plain.text()).trim().split('\n').map((l) => JSON.parse(l) as { stream: string; data: string });
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.data).join('')).toBe('line 0\nline 1\nline 2\nline 3\nline 4\n');
    expect((await get('/v1/executions/side_1_00000000/logs')).status).toBe(404);
    expect((await get(`/v1/executions/${id}/logs?follow=maybe`)).status).toBe(400);
  });
});

describe('GET /v1/executions/:id/processes', () => {
  it("lists a running tree's processes with their memory; none once it ended; 404 for an unknown id", async () => {
    const id = await started("require('node:child_process').spawn('sleep', ['600'], { stdio: 'ignore' }); await new Promise(() => {})");
    let last: Record<string, any> = {};
    expect(await eventually(async () => (last = (await get(`/v1/executions/${id}/processes`)).body).processes.some((p: { command: string }) => p.command === 'sleep 600'), 10_000)).toBe(true);
    expect(last).toMatchObject({ success: true, sideExecutionId: id, status: 'running' });
    const sleeper = last.processes.find((p: { command: string }) => p.command === 'sleep 600');
    expect(sleeper).toMatchObject({ pid: expect.any(Number), ppid: expect.any(Number), memoryBytes: expect.any(Number), cpuMs: expect.any(Number) });
    expect(sleeper.memoryBytes).toBeGreaterThan(0);
    // Parents come before their children.
    expect(last.processes.findIndex((p: { pid: number }) => p.pid === sleeper.ppid)).toBeLessThan(last.processes.indexOf(sleeper));
    await post(`/v1/executions/${id}/stop`, { force: true });
    expect((await get(`/v1/executions/${id}/processes`)).body).toMatchObject({ status: 'stopped', processes: [] });
    expect(await get('/v1/executions/side_1_00000000/processes')).toMatchObject({ status: 404, body: { code: 'EXECUTION_NOT_FOUND' } });
  });
});

describe('action blocks', () => {
  it('GET /v1/action-blocks lists them, with filterType', async () => {
    const all = (await get('/v1/action-blocks')).body;
    expect(all.actionBlocks.map((b: { name: string }) => b.name)).toEqual(expect.arrayContaining(['worker', 'quick', 'echo']));
    const builtin = (await get('/v1/action-blocks?filterType=builtin')).body;
    expect(builtin.actionBlocks.map((b: { name: string }) => b.name)).toEqual(['echo']);
    expect((await get('/v1/action-blocks?filterType=nope')).status).toBe(400);
  });

  it('GET /v1/action-blocks/:name gives one; unknown: 404', async () => {
    expect((await get('/v1/action-blocks/quick')).body).toMatchObject({ success: true, actionBlock: { name: 'quick', type: 'filesystem' } });
    expect((await get('/v1/action-blocks/nope')).status).toBe(404);
  });

  it('POST /v1/action-blocks/:name/start runs it to the end', async () => {
    expect(await post('/v1/action-blocks/echo/start', { params: { a: [1, 2] } })).toMatchObject({ status: 200, body: { success: true, result: { a: [1, 2] } } });
    expect((await post('/v1/action-blocks/nope/start', {})).status).toBe(404);
    expect((await post('/v1/action-blocks/echo/start', { params: 'x' })).status).toBe(400);
  });
});

describe('malformed HTTP bodies get a clear 4xx and change nothing', () => {
  it.each([
    ['broken JSON', '{"inlineCode":', 'application/json', 400, 'INVALID_BODY'],
    ['empty JSON body', '', 'application/json', 400, 'INVALID_BODY'],
    ['JSON array', '[1,2,3]', 'application/json', 400, 'INVALID_ARGUMENT'],
    ['JSON string', '"return 1"', 'application/json', 400, 'INVALID_ARGUMENT'],
    ['not JSON at all', 'return 1', 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['prototype pollution', '{"__proto__":{"x":1},"inlineCode":"return 1"}', 'application/json', 400, 'INVALID_BODY', /a key "__proto__".* is not accepted/],
    // Parsed as -Infinity, then stored as null without a word.
    ['a number past what a double holds', '{"inlineCode":"return m","params":{"m":-1e400}}', 'application/json', 400, 'INVALID_BODY', /"m" holds a number beyond what JSON's doubles hold/],
    ['a body of null', 'null', 'application/json', 400, 'INVALID_ARGUMENT', /received null/],
    // 5,000 levels overflowed the store's JSON.stringify: STORE_UNAVAILABLE, naming no field.
    ['a threadContext nested 5,000 deep', `{"inlineCode":"return 1","options":{"threadContext":${'['.repeat(5000)}${']'.repeat(5000)}}}`, 'application/json', 400, 'INVALID_BODY', /body nests deeper than 1000 levels/],
  ])('%s', async (_name, body, type, status, code, says?: RegExp) => {
    const before = await executionCount();
    const res = await fetch(`${server.url}/v1/executions`, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': type }, body });
    expect(res.status).toBe(status);
    const reply = (await res.json()) as Record<string, unknown>;
    expect(reply).toMatchObject({ success: false, code });
    expect(String(reply.error).length).toBeGreaterThan(5);
    if (says) expect(String(reply.error)).toMatch(says);
    expect(await executionCount()).toBe(before);
  });

  it('params with 70,000 keys run (they failed the start as a syntax error in the code): the first 10,000 are variables, all are in params', async () => {
    const params = Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i]));
    const started = await post('/v1/executions', { inlineCode: 'return [Object.keys(params).length, k9999, typeof k10000, params.k69999]', params });
    expect(started.status).toBe(201);
    await ended(started.body.sideExecutionId);
    const done = (await get(`/v1/executions/${started.body.sideExecutionId}`)).body;
    expect([done.status, done.result]).toEqual(['completed', [70_000, 9999, 'undefined', 69_999]]);
  });

  it("paths the router refuses are answered in sidex's shape, and an id or name just too long by the route that takes it", async () => {
    const get = async (p: string) => {
      const res = await fetch(`${server.url}${p}`, { headers: { authorization: `Bearer ${server.apiKey}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    // Fastify's own replies before: {"error":"Bad Request","code":"FST_ERR_MAX_PARAM_LENGTH"}, with no success or type.
    expect(await get(`/v1/executions/${'x'.repeat(1100)}`)).toMatchObject({ status: 414, body: { success: false, type: 'errorResponse', code: 'URL_TOO_LONG' } });
    expect(await get('/v1/executions/%FF')).toMatchObject({ status: 400, body: { success: false, type: 'errorResponse', code: 'INVALID_URL' } });
    expect(await get(`/v1/executions/${'x'.repeat(201)}`)).toMatchObject({ status: 400, body: { success: false, details: { field: 'id' } } });
    expect(await get(`/v1/action-blocks/${'b'.repeat(600)}`)).toMatchObject({ status: 400, body: { success: false, code: 'INVALID_ARGUMENT', details: { field: 'name' } } });
  });

  it('a body that is not UTF-8, or says another charset, is refused; nothing starts', async () => {
    const before = await executionCount();
    const bytes = Buffer.concat([Buffer.from('{"inlineCode":"return params.s","params":{"s":"a'), Buffer.from([0xff]), Buffer.from('b"}}')]);
    const latin = await api(server, '/v1/executions', { method: 'POST', body: bytes }).then(json);
    expect(latin).toMatchObject({ status: 400, body: { code: 'INVALID_BODY', error: expect.stringMatching(/body: not valid UTF-8$/) } });
    const declared = await api(server, '/v1/executions', { method: 'POST', body: '{"inlineCode":"return 1"}', headers: { 'content-type': 'application/json; charset=latin1' } }).then(json);
    expect(declared).toMatchObject({ status: 400, body: { code: 'INVALID_BODY', error: expect.stringMatching(/body: JSON must be UTF-8, not charset=latin1$/) } });
    const utf8 = await api(server, '/v1/executions', { method: 'POST', body: '{"inlineCode":"return 1"}', headers: { 'content-type': 'application/json; charset=UTF-8' } });
    expect(utf8.status).toBe(201);
    expect(await executionCount()).toBe(before + 1);
  });

  it('a body over the limit is a 413, answered from its Content-Length before the upload', async () => {
    const size = 17 * 1024 * 1024;
    const reply = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(`${server.url}/v1/executions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json', 'content-length': size },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.write('{"inlineCode":"'); // the rest never needs to be sent
    });
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.text)).toMatchObject({ success: false, code: 'BODY_TOO_LARGE' });
  });

  it('a client that writes its whole oversize body before reading still gets the 413, every time (no EPIPE)', async () => {
    const body = Buffer.alloc(16 * 1024 * 1024 + 1, 0x20);
    const outcomes: string[] = [];
    for (let i = 0; i < 10; i++) {
      outcomes.push(
        await new Promise<string>((resolve) => {
          const req = http.request(`${server.url}/v1/executions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json', 'content-length': body.length },
          });
          req.on('response', (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve(`${res.statusCode} ${JSON.parse(text).code}`));
          });
          req.on('error', (err) => resolve(err.message));
          req.end(body);
        }),
      );
    }
    expect(outcomes).toEqual(Array(10).fill('413 BODY_TOO_LARGE'));
  });

  /** A raw POST that declares a 1 GiB body; `reply()` is what came back, `closed` how long after the headers the server cut it. */
  function hugePost(bodyStart = '') {
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.on('error', () => {}); // EPIPE or a reset once the server cuts
    const began = Date.now();
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - began)));
    socket.write(`POST /v1/executions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${2 ** 30}\r\n\r\n${bodyStart}`);
    return { socket, closed, reply: () => reply };
  }

  // The drain is bounded: past 64 MB, or 10 s, the connection is cut.
  it('a refused body is drained up to 64 MB, then its connection is cut', async () => {
    const { socket, closed, reply } = hugePost();
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let written = 0;
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    // At most 256 MB, so that a server that never cuts fails the test instead of hanging it.
    while (!isClosed && written < 256 * 1024 * 1024) {
      if (!socket.write(chunk)) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
      written += chunk.length;
    }
    await Promise.race([closed, sleep(5000)]);
    expect(isClosed).toBe(true);
    expect(written).toBeGreaterThan(64 * 1024 * 1024);
    expect(reply()).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply()).toContain('BODY_TOO_LARGE');
  });

  it('a refused body that stops coming is waited for 10 s, then its connection is cut', async () => {
    const { socket, closed, reply } = hugePost('{"inlineCode":"');
    const after = await Promise.race([closed, sleep(20_000).then(() => -1)]);
    socket.destroy();
    expect(reply()).toMatch(/^HTTP\/1\.1 413 /);
    expect(after).toBeGreaterThanOrEqual(9_500);
    expect(after).toBeLessThan(15_000);
  });
});

describe('OpenAPI', () => {
  it('/v1/openapi.json is generated from the request schemas', async () => {
    const { body: doc } = await get('/v1/openapi.json');
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/v1/executions', '/v1/executions/{id}', '/v1/executions/{id}/stop', '/v1/executions/{id}/logs', '/v1/executions/{id}/stdin', '/v1/action-blocks', '/v1/action-blocks/{name}', '/v1/action-blocks/{name}/start']),
    );
    const create = doc.paths['/v1/executions'].post;
    const schema = create.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(['inlineCode', 'actionBlockPath', 'command', 'cwd', 'env', 'stdin', 'params', 'timeout', 'options']);
    expect(schema.additionalProperties).toBe(false);
    const list = doc.paths['/v1/executions'].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(['status', 'kind', 'type', 'name', 'q', 'since', 'until', 'limit', 'cursor']);
    expect(list.parameters.find((p: { name: string }) => p.name === 'limit').schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(doc.paths['/v1/executions/{id}'].get.parameters[0]).toMatchObject({ name: 'id', in: 'path', required: true });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});
