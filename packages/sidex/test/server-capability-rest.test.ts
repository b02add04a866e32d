// The capability routes and resume over real HTTP, against a real server whose
// project is the fixture project: every route with and without a key, what
// each answers, bad input, and their part of the OpenAPI document.
import { describe, expect, it } from 'vitest';
import { copyCatalogProject } from './fixtures/projects/fixture-project.js';
import { api, startTestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const server = await startTestServer({ project: copyCatalogProject });
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
const post = (route: string, body?: unknown) => api(server, route, { method: 'POST', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) }).then(json);
const get = (route: string) => api(server, route).then(json);
const names = (list: Array<{ name: string }>) => list.map((c) => c.name).sort();

async function ended(id: string): Promise<Record<string, any>> {
  let last: Record<string, any> = {};
  await eventually(async () => ['completed', 'failed', 'stopped', 'timeout'].includes((last = (await get(`/v1/capability-executions/${id}`)).body).status), 15_000, 50);
  return last;
}

async function running(): Promise<string> {
  const { status, body } = await post('/v1/capabilities/long-running-task/start', { type: 'skill' });
  expect(status).toBe(201);
  const id = body.executionId as string;
  expect(await eventually(async () => ((await get(`/v1/capability-executions/${id}`)).body.output as string).includes('ready'))).toBe(true);
  return id;
}

const executionCount = async () => Object.values((await get('/v1/executions/counts')).body.counts as Record<string, number>).reduce((a, b) => a + b, 0);

const ROUTES: Array<[string, string, unknown?]> = [
  ['GET', '/v1/capabilities'],
  ['GET', '/v1/capabilities/quick-task'],
  ['POST', '/v1/capabilities/quick-task/start', { type: 'skill' }],
  ['GET', '/v1/executors'],
  ['GET', '/v1/capability-executions'],
  ['GET', '/v1/capability-executions/cap_1_00000000'],
  ['POST', '/v1/capability-executions/cap_1_00000000/stop', {}],
  ['POST', '/v1/capability-executions/cap_1_00000000/resume'],
  ['POST', '/v1/executions/side_1_00000000/resume'],
];

describe('authentication', () => {
  it.each(ROUTES)('%s %s is refused without a key and with a wrong one, and nothing starts', async (method, route, body) => {
    const before = await executionCount();
    for (const key of [null, 'wrong-key-wrong-key']) {
      const res = await api(server, route, { method, key, ...(body ? { body: JSON.stringify(body) } : {}) });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
    expect(await executionCount()).toBe(before);
  });
});

describe('capabilities and executors', () => {
  it('GET /v1/capabilities lists them; type, tag (comma-separated, any) and author filter', async () => {
    const all = await get('/v1/capabilities');
    expect(all).toMatchObject({ status: 200, body: { type: 'listCapabilitiesResponse', success: true } });
    expect(names(all.body.capabilities)).toEqual(expect.arrayContaining(['deploy', 'guide', 'quick-task', 'review']));
    expect(all.body.warnings.length).toBeGreaterThan(0);
    expect((await get('/v1/capabilities?type=talent')).body.capabilities.every((c: { type: string }) => c.type === 'talent')).toBe(true);
    expect(names((await get('/v1/capabilities?tag=ci')).body.capabilities)).toEqual(['deploy', 'review']);
    expect(names((await get('/v1/capabilities?tag=git,deploy')).body.capabilities)).toEqual(['deploy', 'guide']);
    expect(names((await get('/v1/capabilities?author=alice&type=skill')).body.capabilities)).toEqual(['quick-task']);
  });

  it('GET /v1/capabilities/:name gives one, with its executor; unknown: 404', async () => {
    expect((await get('/v1/capabilities/review')).body).toMatchObject({ success: true, capability: { name: 'review', type: 'talent', executorName: 'echo-executor' } });
    expect((await get('/v1/capabilities/quick-task?type=skill')).body.capability.name).toBe('quick-task');
    expect(await get('/v1/capabilities/quick-task?type=power')).toMatchObject({ status: 404, body: { code: 'CAPABILITY_NOT_FOUND' } });
    expect(await get('/v1/capabilities/nope')).toMatchObject({ status: 404, body: { code: 'CAPABILITY_NOT_FOUND' } });
  });

  it('GET /v1/executors lists them', async () => {
    const { status, body } = await get('/v1/executors');
    expect(status).toBe(200);
    expect(names(body.executors)).toEqual(expect.arrayContaining(['echo-executor', 'sidex']));
  });
});

describe('capability executions', () => {
  it('POST /v1/capabilities/:name/start: 201 once it runs; GET /v1/capability-executions/:id follows it to its result', async () => {
    const { status, body } = await post('/v1/capabilities/deploy/start', { type: 'power', params: { target: 'staging' }, timeout: 10_000 });
    expect(status).toBe(201);
    expect(body).toMatchObject({ type: 'startCapabilityResponse', success: true, executorName: 'sidex' });
    expect(body.executionId).toMatch(/^cap_/);
    expect(await ended(body.executionId)).toMatchObject({ status: 'completed', execution: { capabilityName: 'deploy', capabilityType: 'power', result: { deployed: 'staging' } } });
    expect((await get('/v1/capability-executions/cap_1_00000000')).status).toBe(404);
  });

  it('GET /v1/capability-executions lists the active ones; POST .../stop stops: stopped, already_stopped, 409 finished, 404 unknown', async () => {
    const id = await running();
    expect((await get('/v1/capability-executions')).body.executions.map((e: { id: string }) => e.id)).toContain(id);
    expect(await post(`/v1/capability-executions/${id}/stop`, {})).toMatchObject({ status: 200, body: { success: true, executionId: id, status: 'stopped' } });
    expect((await post(`/v1/capability-executions/${id}/stop`)).body).toMatchObject({ success: true, status: 'already_stopped' });
    expect((await get('/v1/capability-executions')).body.executions.map((e: { id: string }) => e.id)).not.toContain(id);
    const quick = (await post('/v1/capabilities/quick-task/start', { type: 'skill', params: { delayMs: 0 } })).body.executionId as string;
    await ended(quick);
    expect(await post(`/v1/capability-executions/${quick}/stop`, {})).toMatchObject({ status: 409, body: { code: 'ALREADY_FINISHED', status: 'completed' } });
    expect(await post('/v1/capability-executions/cap_1_00000000/stop', {})).toMatchObject({ status: 404, body: { code: 'EXECUTION_NOT_FOUND' } });
    const forced = await running();
    expect((await post(`/v1/capability-executions/${forced}/stop`, { force: true })).body).toMatchObject({ status: 'stopped', forced: true });
  });

  it('POST /v1/capability-executions/:id/resume: 201 with the new execution; 409 while it runs', async () => {
    const id = await running();
    expect(await post(`/v1/capability-executions/${id}/resume`)).toMatchObject({ status: 409, body: { code: 'EXECUTION_STILL_RUNNING' } });
    await post(`/v1/capability-executions/${id}/stop`, {});
    const resumed = await post(`/v1/capability-executions/${id}/resume`);
    expect(resumed).toMatchObject({ status: 201, body: { success: true, resumedFrom: id } });
    const next = resumed.body.executionId as string;
    expect((await get(`/v1/capability-executions/${next}`)).body.execution).toMatchObject({ capabilityName: 'long-running-task', resumedFrom: id });
    await post(`/v1/capability-executions/${next}/stop`, {});
  });

  it('POST /v1/executions/:id/resume runs an ended side execution again with ctx.resumeFrom', async () => {
    const started = await post('/v1/executions', { inlineCode: 'ctx.checkpoint({ n: (ctx.resumeFrom?.n ?? 0) + 1 }); return ctx.resumeFrom ?? null' });
    const id = started.body.sideExecutionId as string;
    await eventually(async () => (await get(`/v1/executions/${id}`)).body.status === 'completed');
    const resumed = await post(`/v1/executions/${id}/resume`);
    expect(resumed).toMatchObject({ status: 201, body: { type: 'resumeSideExecutionResponse', success: true, resumedFrom: id } });
    const next = resumed.body.sideExecutionId as string;
    expect(await eventually(async () => (await get(`/v1/executions/${next}`)).body.status === 'completed')).toBe(true);
    expect((await get(`/v1/executions/${next}`)).body.result).toEqual({ n: 1 });
    expect((await post('/v1/executions/side_1_00000000/resume')).status).toBe(404);
  });
});

describe('bad input: a 4xx naming the field; nothing starts', () => {
  it.each([
    ['GET', '/v1/capabilities?type=spell', undefined, 400, 'INVALID_ARGUMENT', 'type'],
    ['GET', '/v1/capabilities?colour=red', undefined, 400, 'INVALID_ARGUMENT', 'colour'],
    ['GET', '/v1/capabilities/quick-task?type=spell', undefined, 400, 'INVALID_ARGUMENT', 'type'],
    ['POST', '/v1/capabilities/quick-task/start', {}, 400, 'INVALID_ARGUMENT', 'type'],
    ['POST', '/v1/capabilities/quick-task/start', undefined, 400, 'INVALID_ARGUMENT', 'input'],
    ['POST', '/v1/capabilities/quick-task/start', { type: 'skill', params: 'x' }, 400, 'INVALID_PARAMS', 'params'],
    ['POST', '/v1/capabilities/quick-task/start', { type: 'skill', params: { delayMs: 'x' } }, 400, 'INVALID_PARAMS', 'params.delayMs'],
    ['POST', '/v1/capabilities/typed/start', { type: 'skill' }, 400, 'INVALID_PARAMS', 'params.text'],
    ['POST', '/v1/capabilities/quick-task/start', { type: 'skill', timeout: -1 }, 400, 'INVALID_TIMEOUT', 'timeout'],
    ['POST', '/v1/capabilities/quick-task/start', { type: 'skill', extra: 1 }, 400, 'INVALID_ARGUMENT', 'extra'],
    ['POST', '/v1/capabilities/nope/start', { type: 'skill' }, 404, 'CAPABILITY_NOT_FOUND', 'nope'],
    ['POST', '/v1/capability-executions/cap_1_00000000/stop', { graceMs: -1 }, 400, 'INVALID_ARGUMENT', 'graceMs'],
  ])('%s %s %j', async (method, route, body, status, code, named) => {
    const before = await executionCount();
    const res = await api(server, route, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    expect(res.status).toBe(status);
    const reply = (await res.json()) as Record<string, any>;
    expect(reply).toMatchObject({ success: false, code });
    expect(reply.error).toContain(named);
    expect(await executionCount()).toBe(before);
  });
});

describe('OpenAPI', () => {
  it('documents the capability routes and resume, from their schemas', async () => {
    const { body: doc } = await get('/v1/openapi.json');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/capabilities',
        '/v1/capabilities/{name}',
        '/v1/capabilities/{name}/start',
        '/v1/executors',
        '/v1/capability-executions',
        '/v1/capability-executions/{id}',
        '/v1/capability-executions/{id}/stop',
        '/v1/capability-executions/{id}/resume',
        '/v1/executions/{id}/resume',
      ]),
    );
    const start = doc.paths['/v1/capabilities/{name}/start'].post;
    expect(start.operationId).toBe('startCapability');
    expect(Object.keys(start.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '404']));
    const schema = start.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(['type', 'params', 'timeout', 'options']);
    expect(schema.required).toEqual(['type']);
    expect(schema.properties.type.enum).toEqual(['skill', 'power', 'talent']);
    expect(doc.paths['/v1/capabilities'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['type', 'tag', 'author']);
    expect(doc.paths['/v1/capability-executions/{id}/stop'].post.operationId).toBe('stopCapability');
    expect(doc.paths['/v1/executions/{id}/resume'].post.operationId).toBe('resumeSideExecution');
  });
});
