// What RocketRide's own TypeScript client and its users send, with raw DAP
// frames against a real `sidex serve`: monitors in every form RocketRide
// takes, concurrent use() of one token, item results, replies and events in
// RocketRide's shapes, and the commands its client calls.
import { afterAll, describe, expect, it } from 'vitest';
import { codeChain } from './fixtures/pipelines.js';
import { docx, pdf } from './helpers/documents.js';
import { fakeOpenAi } from './helpers/fake-openai.js';
import { RawDap, type DapFrame } from './helpers/raw-dap.js';
import { startTestServer } from './helpers/server.js';

const server = await startTestServer();
const sockets: RawDap[] = [];
async function authed(): Promise<RawDap> {
  const dap = await RawDap.authed(server.url, server.apiKey);
  sockets.push(dap);
  return dap;
}
afterAll(() => sockets.forEach((s) => s.close()));

const client = await authed();
const use = async (pipeline: object, extra: Record<string, unknown> = {}): Promise<DapFrame> => {
  const reply = await client.request('execute', { pipeline, ...extra });
  expect(reply.success, JSON.stringify(reply)).toBe(true);
  return reply.body;
};
/** One item as RocketRide's client sends it: open, one binary write, close. */
async function send(dap: RawDap, token: string, text: string, object: Record<string, unknown> = {}, mimeType = 'text/plain'): Promise<DapFrame> {
  const open = await dap.request('rrext_process', { subcommand: 'open', object, mimeType }, { token });
  expect(open.success, JSON.stringify(open)).toBe(true);
  const pipe_id = open.body.pipe_id as number;
  expect((await dap.binary('rrext_process', { subcommand: 'write', pipe_id, token }, Buffer.from(text))).success).toBe(true);
  return dap.request('rrext_process', { subcommand: 'close', pipe_id }, { token });
}
const withProject = (projectId: string, pipeline: { components: unknown[]; source: string } = codeChain('return input')) => ({ ...pipeline, project_id: projectId });

describe('rrext_monitor in the forms RocketRide takes', () => {
  it('types as an EVENT_TYPE bitmask (number or digits) and as listenType; unknown names are ignored', async () => {
    const { token } = await use(codeChain('return input'));
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ types: 4 | 32 }, ['apaevt_status_update', 'apaevt_task']], // SUMMARY | TASK
      [{ types: '4' }, ['apaevt_status_update']],
      [{ listenType: 32 }, ['apaevt_task']],
      [{ types: ['summary', 'DASHBOARD', 'Debugger', 'NOT_A_TYPE'] }, ['apaevt_status_update']],
    ];
    for (const [args, expected] of cases) {
      const watcher = await authed();
      expect(await watcher.request('rrext_monitor', args, { token }), JSON.stringify(args)).toMatchObject({ success: true, body: {} });
      for (const name of expected) await watcher.next((f) => f.event === name);
      const seen = new Set(watcher.frames.filter((f) => f.type === 'event').map((f) => f.event));
      expect([...seen].sort(), JSON.stringify(args)).toEqual([...expected].sort());
      watcher.close();
    }
    await client.request('terminate', { token });
  });

  it('only types sidex has no events for (DASHBOARD, DEBUGGER) subscribe to nothing, as an empty list unsubscribes', async () => {
    const { token } = await use(codeChain('return input'));
    const watcher = await authed();
    expect(await watcher.request('rrext_monitor', { types: ['SUMMARY'] }, { token })).toMatchObject({ success: true });
    await watcher.next((f) => f.event === 'apaevt_status_update');
    expect(await watcher.request('rrext_monitor', { types: ['DASHBOARD', 'DEBUGGER'] }, { token })).toMatchObject({ success: true });
    const count = watcher.frames.length;
    expect((await send(client, token, 'x')).success).toBe(true);
    await new Promise((r) => setTimeout(r, 1300)); // past a status interval: nothing may come
    expect(watcher.frames.length).toBe(count);
    await client.request('terminate', { token });
  });

  it('projectId and source (with pipeId): "Not running" until a task runs them, then its events, with the task id at the top level', async () => {
    const projectId = 'a1b2c3d4-0000-4000-a000-00000000aaaa';
    const watcher = await authed();
    const reply = await watcher.request('rrext_monitor', { projectId, source: 'webhook_1', pipeId: 3, types: ['summary', 'task'] });
    expect(reply).toMatchObject({ success: true, body: {} });
    expect(await watcher.next((f) => f.event === 'apaevt_status_update')).toMatchObject({ id: `${projectId}.webhook_1`, body: { state: 0, status: 'Not running', project_id: projectId, source: 'webhook_1' } });
    const { token, id } = await use(withProject(projectId));
    const begin = await watcher.next((f) => f.event === 'apaevt_task' && f.body.action === 'begin');
    expect(begin).toMatchObject({ id, body: { action: 'begin', name: 'webhook_1', projectId, source: 'webhook_1', token } });
    // Another project's task is not this monitor's.
    const other = await use(withProject('a1b2c3d4-0000-4000-a000-00000000bbbb'));
    await client.request('terminate', { token: other.token });
    await client.request('terminate', { token });
    await watcher.next((f) => f.event === 'apaevt_task' && f.body.action === 'end');
    expect(watcher.frames.filter((f) => f.type === 'event').every((f) => f.body.token === undefined || f.body.token === token)).toBe(true);
  });

  it('bad monitor arguments: what and where', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>, string, RegExp]> = [
      [{ types: ['SUMMARY'] }, {}, 'INVALID_TOKEN', /^token: is required: give the task token \(or '\*'\), or both projectId and source/],
      [{ projectId: 'p', types: ['SUMMARY'] }, {}, 'INVALID_ARGUMENT', /^source: is required/],
      [{ projectId: 'p', source: 's', types: ['SUMMARY'] }, { token: '*' }, 'INVALID_TOKEN', /^token: give either token or projectId and source, not both/],
      [{ types: { summary: 1 } }, { token: '*' }, 'INVALID_EVENT_TYPES', /^types: must be an array of event type names \(SUMMARY, TASK, \.\.\.\) or an EVENT_TYPE bitmask/],
      [{ types: 1.5 }, { token: '*' }, 'INVALID_EVENT_TYPES', /^types: must be an array of event type names/],
    ];
    for (const [args, extra, code, message] of cases) {
      const reply = await client.request('rrext_monitor', args, extra);
      expect({ success: reply.success, code: reply.code, message: reply.message }).toEqual({ success: false, code, message: expect.stringMatching(message) });
    }
  });
});

describe('use with useExisting', () => {
  it('16 concurrent execute {token, useExisting} on one connection all get the one task, even while it starts', async () => {
    const replies = await Promise.all(Array.from({ length: 16 }, () => client.request('execute', { pipeline: codeChain('return input'), useExisting: true }, { token: 'TS-CC-raw' })));
    expect(replies.map((r) => [r.success, r.message])).toEqual(Array.from({ length: 16 }, () => [true, undefined]));
    expect(new Set(replies.map((r) => `${r.body.token} ${r.body.id}`)).size).toBe(1);
    expect(replies[0]!.body.token).toBe('TS-CC-raw');
    const tasks = (await client.request('rrext_get_tasks')).body.tasks.filter((t: { token: string }) => t.token === 'TS-CC-raw');
    expect(tasks).toHaveLength(1);
    // Without useExisting, a second one is refused while it runs.
    expect(await client.request('execute', { pipeline: codeChain('return input') }, { token: 'TS-CC-raw' })).toMatchObject({ success: false, code: 'TASK_EXISTS' });
    await client.request('terminate', {}, { token: 'TS-CC-raw' });
  });
});

/** RocketRide's echo pipeline (its client suite's tests/echo.pipeline.ts). */
const echo = {
  components: [
    { id: 'webhook_1', provider: 'webhook', name: 'My webhook', config: { hideForm: true, mode: 'Source', type: 'webhook' } },
    { id: 'response_1', provider: 'response', config: { lanes: [] }, input: [{ lane: 'text', from: 'webhook_1' }] },
  ],
  source: 'webhook_1',
  project_id: 'e612b741-748c-4b35-a8b7-186797a8ea42',
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('item results as RocketRide gives them', () => {
  it('an item without a name is named by a UUID; without a text mime type nothing reaches the text lane, so no result_types', async () => {
    const { token } = await use(echo);
    const bytes = await send(client, token, 'Hello', { size: 5 }, 'application/octet-stream');
    expect(bytes).toMatchObject({ success: true });
    expect(bytes.body).toEqual({ name: expect.stringMatching(UUID), path: '', objectId: expect.stringMatching(UUID) });
    expect(bytes.body.name).not.toBe((await send(client, token, 'Hello', {}, 'application/octet-stream')).body.name);
    const text = await send(client, token, 'Hello from integration test!');
    expect(text.body).toEqual({ name: expect.stringMatching(UUID), path: '', objectId: expect.stringMatching(UUID), result_types: { text: 'text' }, text: ['Hello from integration test!\n\n'] });
    await client.request('terminate', { token });
  });

  it('each write of a text item is one text, followed by a blank line, all in one entry (RocketRide\'s response rule)', async () => {
    const { token } = await use(echo);
    const open = await client.request('rrext_process', { subcommand: 'open', object: { name: 'test-stream.txt' }, mimeType: 'text/plain' }, { token });
    const chunks = ['Hello ', 'from ', 'streaming ', 'test!'];
    for (const chunk of chunks) expect((await client.binary('rrext_process', { subcommand: 'write', pipe_id: open.body.pipe_id, token }, Buffer.from(chunk))).success).toBe(true);
    const closed = await client.request('rrext_process', { subcommand: 'close', pipe_id: open.body.pipe_id }, { token });
    expect(closed.body).toMatchObject({ name: 'test-stream.txt', result_types: { text: 'text' }, text: [chunks.join('\n\n') + '\n\n'] });
    // A character split across two writes stays whole.
    const split = Buffer.from('é');
    const pipe = (await client.request('rrext_process', { subcommand: 'open', object: {}, mimeType: 'text/markdown' }, { token })).body.pipe_id;
    await client.binary('rrext_process', { subcommand: 'write', pipe_id: pipe, token }, split.subarray(0, 1));
    await client.binary('rrext_process', { subcommand: 'write', pipe_id: pipe, token }, split.subarray(1));
    expect((await client.request('rrext_process', { subcommand: 'close', pipe_id: pipe }, { token })).body.text).toEqual(['\n\né\n\n']);
    await client.request('terminate', { token });
  });

  it('an uploaded file (POST /task/data, multipart) is one text of its item, whatever the network cut it into', async () => {
    const { token } = await use(echo);
    const content = 'Test file content for upload\n'.repeat(5000); // well over one network chunk
    const form = new FormData();
    form.append('file', new Blob([content], { type: 'text/plain' }), 'test.txt');
    const res = await fetch(`${server.url}/task/data?token=${token}`, { method: 'POST', headers: { authorization: `Bearer ${server.apiKey}` }, body: form });
    const reply = (await res.json()) as { data: { resultTypes: Record<string, string>; objects: Record<string, Record<string, unknown>> } };
    expect(res.status).toBe(200);
    expect(reply.data.resultTypes).toEqual({ text: 'text' });
    expect(reply.data.objects.file).toMatchObject({ name: 'test.txt', status: 'OK', text: [content + '\n\n'] });
    await client.request('terminate', { token });
  });
});

describe('replies and events in RocketRide\'s shapes', () => {
  it('rrext_validate answers the pipeline as it would run: unwrapped, its source resolved (or the override), version 1', async () => {
    const reply = await client.request('rrext_validate', { pipeline: { pipeline: { ...echo, source: undefined } } });
    expect(reply.body).toMatchObject({ valid: true, errors: [], source: 'webhook_1', pipeline: { components: echo.components, source: 'webhook_1', version: 1, project_id: echo.project_id } });
    const override = await client.request('rrext_validate', { pipeline: echo, source: 'webhook_1' });
    expect(override.body.pipeline.source).toBe('webhook_1');
    const invalid = await client.request('rrext_validate', { pipeline: { components: [{ id: 'invalid_1', provider: 'nonexistent_provider', config: {} }], source: 'invalid_1' } });
    expect(invalid.body).toMatchObject({ valid: false, pipeline: { source: 'invalid_1', version: 1 } });
    expect(invalid.body.errors.length).toBeGreaterThan(0);
  });

  it('rrext_public_probe: version, capabilities as RocketRide tags its mode, platform and apps', async () => {
    const dap = await RawDap.open(server.url);
    sockets.push(dap);
    const probe = await dap.request('rrext_public_probe');
    expect(probe.body).toEqual({ name: 'sidex', version: expect.any(String), capabilities: ['oss'], platform: process.platform, apps: [], features: expect.arrayContaining(['pipelines']) });
  });

  it('the status has metrics, tokens, and pipeflow.byPipe: the component each item in progress is in', async () => {
    const { token } = await use(codeChain('await new Promise((r) => setTimeout(r, 1500)); return input'));
    const open = await client.request('rrext_process', { subcommand: 'open', object: { name: 'slow' }, mimeType: 'text/plain' }, { token });
    const pipe_id = open.body.pipe_id as number;
    await client.binary('rrext_process', { subcommand: 'write', pipe_id, token }, Buffer.from('x'));
    const closing = client.request('rrext_process', { subcommand: 'close', pipe_id }, { token });
    let status: DapFrame = {};
    for (const end = Date.now() + 5000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      status = (await client.request('rrext_get_task_status', {}, { token })).body;
      if (status.pipeflow.byPipe[pipe_id]?.length) break;
    }
    expect(status.pipeflow).toEqual({ totalPipes: 1, byPipe: { [pipe_id]: ['code_1'] } });
    expect(status.metrics).toEqual({
      cpu_percent: expect.any(Number), cpu_memory_mb: expect.any(Number), gpu_memory_mb: 0,
      peak_cpu_percent: expect.any(Number), peak_cpu_memory_mb: expect.any(Number), peak_gpu_memory_mb: 0,
      avg_cpu_percent: expect.any(Number), avg_cpu_memory_mb: expect.any(Number), avg_gpu_memory_mb: 0,
    });
    expect(status.tokens).toEqual({ cpu_utilization: 0, cpu_memory: 0, gpu_memory: 0, gpu_inference: 0, custom: {}, total: 0 });
    expect((await closing).success).toBe(true);
    const after = (await client.request('rrext_get_task_status', {}, { token })).body;
    expect(after.pipeflow.byPipe).toEqual({});
    expect(after.metrics.peak_cpu_memory_mb).toBeGreaterThan(0); // sampled once a second while the item ran
    await client.request('terminate', {}, { token });
  });

  it('apaevt_flow: begin, enter and leave of each component with the components the item is in, end; apaevt_task entries have a name', async () => {
    const { token, id } = await use({ ...codeChain('return input'), name: 'flow test' });
    const watcher = await authed();
    await watcher.request('rrext_monitor', { types: ['FLOW', 'TASK'] }, { token });
    const running = await watcher.next((f) => f.event === 'apaevt_task' && f.body.action === 'running');
    expect(running.body.tasks).toEqual([{ id, name: 'flow test', token, projectId: '', source: 'webhook_1' }]);
    expect((await send(client, token, 'x', { name: 'one' })).success).toBe(true);
    const end = await watcher.next((f) => f.event === 'apaevt_flow' && f.body.op === 'end');
    expect(end.body.result).toMatchObject({ text: ['x\n\n'] });
    const flow = watcher.events('apaevt_flow').map((f) => [f.body.op, f.body.trace.component ?? '', f.body.pipes]);
    expect(flow).toEqual([
      ['begin', '', []],
      ['enter', 'webhook_1', ['webhook_1']],
      ['leave', 'webhook_1', []],
      ['enter', 'code_1', ['code_1']],
      ['leave', 'code_1', []],
      ['enter', 'response_1', ['response_1']],
      ['leave', 'response_1', []],
      ['end', '', []],
    ]);
    // One item: one pipe id throughout; the task id at the top level.
    expect(new Set(watcher.events('apaevt_flow').map((f) => `${f.id} ${typeof f.body.id} ${f.body.id} ${f.body.source}`)).size).toBe(1);
    expect(watcher.events('apaevt_flow')[0]).toMatchObject({ id, body: { id: expect.any(Number), source: 'webhook_1', project_id: '' } });
    await client.request('terminate', {}, { token });
    const ended = await watcher.next((f) => f.event === 'apaevt_task' && f.body.action === 'end');
    expect(ended).toMatchObject({ id, body: { name: 'flow test', projectId: '', source: 'webhook_1', token } });
  });
});

describe('the commands RocketRide\'s client calls', () => {
  it('rrext_services: every provider in the service-definition shape, or one; an unknown name is an error', async () => {
    const all = await client.request('rrext_services', {});
    expect(all.body).toMatchObject({ version: 1, services: { webhook: { title: 'Webhook', protocol: 'webhook://', prefix: 'webhook', classType: ['source'], lanes: { _source: ['tags', 'text', 'audio', 'video', 'image', 'questions', 'data'] } }, parse: { classType: ['transform'], lanes: { '*': ['text'] } }, response: { classType: ['infrastructure'] } } });
    expect((await client.request('rrext_services', { service: 'parse' })).body).toMatchObject({ title: 'Parse', protocol: 'parse://', prefix: 'parse' });
    expect(await client.request('rrext_services', { service: 'nonexistent_service_xyz' })).toMatchObject({ success: false, code: 'SERVICE_NOT_FOUND', message: expect.stringMatching(/^service: 'nonexistent_service_xyz' not found; services: webhook, /) });
  });

  it('rrext_get_token by projectId and source; rrext_get_pipeline answers the pipeline as use() got it', async () => {
    const pipeline = { ...echo, project_id: 'f00d0000-0000-4000-a000-000000000001' };
    const { token } = await use({ pipeline });
    expect(await client.request('rrext_get_token', { projectId: pipeline.project_id, source: 'webhook_1' })).toMatchObject({ success: true, body: { token } });
    expect(await client.request('rrext_get_pipeline', {}, { token })).toMatchObject({ success: true, body: { pipeline: { pipeline } } });
    await client.request('terminate', {}, { token });
    expect(await client.request('rrext_get_token', { projectId: pipeline.project_id, source: 'webhook_1' })).toMatchObject({ success: false, code: 'TASK_NOT_FOUND' });
    expect(await client.request('rrext_get_pipeline', {}, { token })).toMatchObject({ success: false, code: 'TASK_NOT_FOUND' });
    expect(await client.request('rrext_get_token', { source: 'webhook_1' })).toMatchObject({ success: false, message: expect.stringMatching(/^projectId: is required/) });
  });

  it('rrext_store: write by handle, read back in chunks (bytes in a binary reply), stat, list, rename, delete; paths stay in the store', async () => {
    const open = await client.request('rrext_store', { subcommand: 'fs_open', path: '.test-store/a.txt', mode: 'w' });
    expect(open.body).toEqual({ handle: expect.any(String) });
    const handle = open.body.handle;
    expect((await client.binary('rrext_store', { subcommand: 'fs_write', handle }, Buffer.from('hello '))).body).toEqual({ bytesWritten: 6 });
    expect((await client.request('rrext_store', { subcommand: 'fs_write', handle, data: 'world' })).body).toEqual({ bytesWritten: 5 });
    expect((await client.request('rrext_store', { subcommand: 'fs_close', handle, mode: 'w' })).success).toBe(true);
    const read = await client.request('rrext_store', { subcommand: 'fs_open', path: '.test-store/a.txt', mode: 'r' });
    expect(read.body).toEqual({ handle: expect.any(String), size: 11 });
    const first = await client.request('rrext_store', { subcommand: 'fs_read', handle: read.body.handle, offset: 0, length: 8 });
    expect(first).toMatchObject({ success: true, body: { size: 8 } });
    expect(Buffer.from(first.arguments.data).toString()).toBe('hello wo');
    const rest = await client.request('rrext_store', { subcommand: 'fs_read', handle: read.body.handle, offset: 8 });
    expect(Buffer.from(rest.arguments.data).toString()).toBe('rld');
    expect((await client.request('rrext_store', { subcommand: 'fs_read', handle: read.body.handle, offset: 11 })).body).toEqual({ size: 0 });
    await client.request('rrext_store', { subcommand: 'fs_close', handle: read.body.handle, mode: 'r' });
    expect((await client.request('rrext_store', { subcommand: 'fs_stat', path: '.test-store/a.txt' })).body).toMatchObject({ exists: true, type: 'file', size: 11 });
    expect((await client.request('rrext_store', { subcommand: 'fs_rename', old_path: '.test-store/a.txt', new_path: '.test-store/b.txt' })).success).toBe(true);
    expect((await client.request('rrext_store', { subcommand: 'fs_list_dir', path: '.test-store' })).body).toMatchObject({ count: 1, entries: [{ name: 'b.txt', type: 'file', size: 11 }] });
    expect((await client.request('rrext_store', { subcommand: 'fs_delete', path: '.test-store/b.txt' })).success).toBe(true);
    expect((await client.request('rrext_store', { subcommand: 'fs_stat', path: '.test-store/b.txt' })).body).toEqual({ exists: false });
    expect((await client.request('rrext_store', { subcommand: 'fs_rmdir', path: '.test-store' })).success).toBe(true);

    const refusals: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ subcommand: 'fs_open', path: '../outside.txt', mode: 'w' }, 'INVALID_PATH', /^path: leads outside the store/],
      [{ subcommand: 'fs_open', path: '/etc/passwd' }, 'INVALID_PATH', /^path: must be relative to the store/],
      [{ subcommand: 'fs_open', path: 'missing.txt' }, 'NOT_FOUND', /^path: missing.txt does not exist in the store/],
      [{ subcommand: 'fs_read', handle: 'nope' }, 'INVALID_HANDLE', /^handle: no open handle "nope" on this connection/],
      [{ subcommand: 'fs_truncate' }, 'INVALID_ARGUMENT', /^subcommand: "fs_truncate" is unknown: one of fs_open/],
      [{ subcommand: 'fs_rmdir', path: 'x', recursive: 'yes' }, 'INVALID_ARGUMENT', /^recursive: must be true or false/],
    ];
    for (const [args, code, message] of refusals) {
      const reply = await client.request('rrext_store', args);
      expect({ success: reply.success, code: reply.code, message: reply.message }).toEqual({ success: false, code, message: expect.stringMatching(message) });
    }
    // A handle is its connection's.
    const other = await authed();
    const mine = (await client.request('rrext_store', { subcommand: 'fs_open', path: 'c.txt', mode: 'w' })).body.handle;
    expect(await other.request('rrext_store', { subcommand: 'fs_write', handle: mine, data: 'x' })).toMatchObject({ success: false, code: 'INVALID_HANDLE' });
    await client.request('rrext_store', { subcommand: 'fs_close', handle: mine, mode: 'w' });
    await client.request('rrext_store', { subcommand: 'fs_delete', path: 'c.txt' });
  });

  it("rrext_store: the store itself is no file to open or remove, and a client's mistakes get their own codes, naming no server path", async () => {
    const store = (args: Record<string, unknown>) => client.request('rrext_store', args);
    expect((await store({ subcommand: 'fs_mkdir', path: 'm/dir' })).success).toBe(true);
    const w = (await store({ subcommand: 'fs_open', path: 'm/dir/f.txt', mode: 'w' })).body.handle;
    await store({ subcommand: 'fs_write', handle: w, data: 'hello world' });
    await store({ subcommand: 'fs_close', handle: w, mode: 'w' });
    const r = (await store({ subcommand: 'fs_open', path: 'm/dir/f.txt', mode: 'r' })).body.handle;
    // Written, "." became a file where the store was (or a .part file beside it), and every later call failed.
    const refusals: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ subcommand: 'fs_open', path: '.', mode: 'w' }, 'INVALID_PATH', /^path: names the store itself/],
      [{ subcommand: 'fs_open', path: 'm/..', mode: 'w' }, 'INVALID_PATH', /^path: names the store itself/],
      [{ subcommand: 'fs_rmdir', path: '.', recursive: true }, 'INVALID_PATH', /^path: names the store itself/],
      [{ subcommand: 'fs_delete', path: 'm/dir' }, 'IS_A_DIRECTORY', /^path: m\/dir is a directory/],
      [{ subcommand: 'fs_open', path: 'm/dir', mode: 'r' }, 'IS_A_DIRECTORY', /^path: m\/dir is a directory/],
      [{ subcommand: 'fs_open', path: 'm/dir', mode: 'w' }, 'IS_A_DIRECTORY', /^path: m\/dir is a directory/],
      [{ subcommand: 'fs_open', path: 'm/dir/f.txt/x', mode: 'w' }, 'NOT_A_DIRECTORY', /^path: m\/dir\/f.txt\/x lies under a file/],
      [{ subcommand: 'fs_mkdir', path: 'm/dir/f.txt' }, 'ALREADY_EXISTS', /^path: m\/dir\/f.txt already exists/],
      [{ subcommand: 'fs_rename', old_path: 'm/dir', new_path: 'm/dir/sub' }, 'INVALID_PATH', /^new_path: m\/dir\/sub lies inside old_path/],
      [{ subcommand: 'fs_rename', old_path: 'm/dir/f.txt', new_path: 'm' }, 'ALREADY_EXISTS', /^new_path: m already exists/],
      [{ subcommand: 'fs_rmdir', path: 'm/dir/f.txt' }, 'NOT_A_DIRECTORY', /^path: m\/dir\/f.txt is a file/],
      [{ subcommand: 'fs_rmdir', path: 'm/dir' }, 'DIRECTORY_NOT_EMPTY', /^path: m\/dir is not empty/],
      [{ subcommand: 'fs_read', handle: r, offset: -6, length: 5 }, 'INVALID_ARGUMENT', /^offset: must be a whole number of bytes, at least 0/],
      [{ subcommand: 'fs_read', handle: r, offset: 'six' }, 'INVALID_ARGUMENT', /^offset: /],
      [{ subcommand: 'fs_read', handle: r, offset: 1e308, length: 5 }, 'INVALID_ARGUMENT', /^offset: /],
      [{ subcommand: 'fs_read', handle: r, length: -1 }, 'INVALID_ARGUMENT', /^length: must be a whole number of bytes, at least 1/],
    ];
    for (const [args, code, message] of refusals) {
      const reply = await store(args);
      expect({ success: reply.success, code: reply.code, message: reply.message }, JSON.stringify(args)).toEqual({ success: false, code, message: expect.stringMatching(message) });
      expect(reply.message).not.toContain(server.dataDir);
    }
    expect(Buffer.from((await store({ subcommand: 'fs_read', handle: r, offset: 6, length: 5 })).arguments.data).toString()).toBe('world');
    await store({ subcommand: 'fs_close', handle: r, mode: 'r' });
    expect((await store({ subcommand: 'fs_list_dir', path: 'm/dir' })).body).toMatchObject({ count: 1, entries: [{ name: 'f.txt', type: 'file', size: 11 }] });
    expect((await store({ subcommand: 'fs_rmdir', path: 'm', recursive: true })).success).toBe(true);
    expect((await store({ subcommand: 'fs_stat', path: 'm' })).body).toEqual({ exists: false });
  });
});

describe('the pipelines RocketRide users write', () => {
  const parsePipeline = {
    source: 'webhook_1',
    components: [
      { id: 'webhook_1', provider: 'webhook', config: { mode: 'Source', type: 'webhook' } },
      { id: 'parse_1', provider: 'parse', config: {}, input: [{ lane: 'tags', from: 'webhook_1' }, { lane: 'text', from: 'webhook_1' }] },
      { id: 'response_1', provider: 'response_text', config: {}, input: [{ lane: 'text', from: 'parse_1' }] },
    ],
  };

  it('webhook -> parse -> response_text: the text of txt, md, html, json, csv, pdf and docx', async () => {
    const { token } = await use(parsePipeline);
    const cases: Array<[string, string, Buffer, string]> = [
      ['a.txt', 'text/plain', Buffer.from('plain text'), 'plain text'],
      ['b.md', 'text/markdown', Buffer.from('# Title\n\nbody'), '# Title\n\nbody'],
      ['c.html', 'text/html', Buffer.from('<html><body><h1>Head</h1><p>para <b>bold</b></p></body></html>'), 'HEAD\n\npara bold'],
      ['d.json', 'application/json', Buffer.from('{"a":1}'), '{"a":1}'],
      ['e.csv', 'text/csv', Buffer.from('a,b\n1,2'), 'a,b\n1,2'],
      ['f.pdf', 'application/pdf', pdf('Hello from a PDF'), 'Hello from a PDF'],
      ['g.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', await docx(['First paragraph', 'Second one']), 'First paragraph\n\nSecond one'],
    ];
    for (const [name, mimeType, bytes, expected] of cases) {
      const open = await client.request('rrext_process', { subcommand: 'open', object: { name }, mimeType }, { token });
      await client.binary('rrext_process', { subcommand: 'write', pipe_id: open.body.pipe_id, token }, bytes);
      const closed = await client.request('rrext_process', { subcommand: 'close', pipe_id: open.body.pipe_id }, { token });
      expect(closed, name).toMatchObject({ success: true, body: { name, result_types: { text: 'text' } } });
      expect(closed.body.text[0].trim(), name).toBe(expected);
    }
    const open = await client.request('rrext_process', { subcommand: 'open', object: { name: 'broken.pdf' }, mimeType: 'application/pdf' }, { token });
    await client.binary('rrext_process', { subcommand: 'write', pipe_id: open.body.pipe_id, token }, Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    const broken = await client.request('rrext_process', { subcommand: 'close', pipe_id: open.body.pipe_id }, { token });
    expect(broken).toMatchObject({ success: false, code: 'ITEM_FAILED', message: expect.stringMatching(/component "parse_1" failed: parse: item "broken.pdf" \(application\/pdf\) is not a readable PDF/) });
    await client.request('terminate', {}, { token });
  });

  it('chat -> prompt -> llm_openai -> response_answers against a local OpenAI-compatible server: the answer streams as apaevt_sse, JSON when the question expects it', async () => {
    const llm = await fakeOpenAi((body) => (body.messages.at(-1).content.includes('JSON') ? '```json\n{"result": 20}\n```' : 'The answer is 4.'));
    try {
      const { token } = await use({
        source: 'chat_1',
        components: [
          { id: 'chat_1', provider: 'chat', config: { mode: 'Source', type: 'chat' } },
          { id: 'prompt_1', provider: 'prompt', config: { instructions: 'Be brief.' }, input: [{ lane: 'questions', from: 'chat_1' }] },
          { id: 'llm_openai_1', provider: 'llm_openai', config: { profile: 'local', local: { serverbase: llm.baseURL, apikey: 'sk-test', model: 'test-model' } }, input: [{ lane: 'questions', from: 'prompt_1' }] },
          { id: 'response_1', provider: 'response_answers', config: {}, input: [{ lane: 'answers', from: 'llm_openai_1' }] },
        ],
      });
      const watcher = await authed();
      await watcher.request('rrext_monitor', { types: ['SSE'] }, { token });
      const question = { type: 'question', expectJson: false, questions: [{ text: 'What is 2 + 2?' }], instructions: [], context: ['We count apples.'], examples: [], documents: [], history: [], goals: [] };
      const answer = await send(client, token, JSON.stringify(question), { name: 'q1' }, 'application/rocketride-question');
      expect(answer.body).toMatchObject({ result_types: { answers: 'answers' }, answers: ['The answer is 4.'] });
      expect(llm.requests[0]).toMatchObject({ authorization: 'Bearer sk-test', body: { model: 'test-model', stream: true } });
      expect(llm.requests[0]!.body.messages).toEqual([
        { role: 'system', content: 'User Instruction: Be brief.\n\nContext:\nWe count apples.' },
        { role: 'user', content: 'What is 2 + 2?' },
      ]);
      await watcher.next((f) => f.event === 'apaevt_sse' && f.body.type === 'answer');
      const tokens = watcher.events('apaevt_sse').filter((f) => f.body.type === 'token');
      expect(tokens.map((f) => f.body.data.text).join('')).toBe('The answer is 4.');
      expect(tokens.length).toBeGreaterThan(1);
      expect(typeof tokens[0]!.body.pipe_id).toBe('number');

      const json = await send(client, token, JSON.stringify({ ...question, expectJson: true, questions: [{ text: 'Return 10 * 2 as JSON' }] }), {}, 'application/rocketride-question');
      expect(json.body.answers).toEqual([{ result: 20 }]);
      await client.request('terminate', {}, { token });
    } finally {
      await llm.close();
    }
  });

  it('webhook -> question -> llm_openai -> response: text asked as a question; an unreachable endpoint fails the item, naming the component', async () => {
    const llm = await fakeOpenAi(() => 'pong');
    const pipeline = (serverbase: string) => ({
      source: 'webhook_1',
      components: [
        { id: 'webhook_1', provider: 'webhook', config: { mode: 'Source' } },
        { id: 'question_1', provider: 'question', config: {}, input: [{ lane: 'text', from: 'webhook_1' }] },
        { id: 'llm_1', provider: 'llm_openai', config: { serverbase, model: 'm' }, input: [{ lane: 'questions', from: 'question_1' }] },
        { id: 'response_1', provider: 'response', config: {}, input: [{ lane: 'answers', from: 'llm_1' }] },
      ],
    });
    try {
      const { token } = await use(pipeline(llm.baseURL));
      expect((await send(client, token, 'ping')).body).toMatchObject({ answers: ['pong'] });
      expect(llm.requests[0]!.body.messages).toEqual([{ role: 'user', content: 'ping' }]);
      await client.request('terminate', {}, { token });
    } finally {
      await llm.close();
    }
    const { token } = await use(pipeline(llm.baseURL)); // closed now
    const failed = await send(client, token, 'ping');
    expect(failed).toMatchObject({ success: false, code: 'ITEM_FAILED', message: expect.stringMatching(/component "llm_1" failed: Connection error/) });
    await client.request('terminate', {}, { token });
  });

  it('a pipeline using components sidex lacks is refused, naming exactly them', async () => {
    const reply = await client.request('execute', {
      pipeline: {
        source: 'chat_1',
        components: [
          { id: 'chat_1', provider: 'chat', config: { mode: 'Source' } },
          { id: 'llm_anthropic_1', provider: 'llm_anthropic', config: {}, input: [{ lane: 'questions', from: 'chat_1' }] },
          { id: 'embed_1', provider: 'embedding_openai', config: {}, input: [{ lane: 'questions', from: 'chat_1' }] },
          { id: 'llm_anthropic_2', provider: 'llm_anthropic', config: {}, input: [{ lane: 'questions', from: 'chat_1' }] },
          { id: 'response_1', provider: 'response_answers', input: [{ lane: 'answers', from: 'llm_anthropic_1' }] },
        ],
      },
    });
    expect(reply).toMatchObject({
      success: false,
      code: 'UNSUPPORTED_COMPONENTS',
      message: 'pipeline: sidex does not provide llm_anthropic, embedding_openai, used by the components "llm_anthropic_1" (llm_anthropic), "embed_1" (embedding_openai), "llm_anthropic_2" (llm_anthropic)',
      details: { providers: ['llm_anthropic', 'embedding_openai'], components: ['llm_anthropic_1', 'embed_1', 'llm_anthropic_2'] },
    });
  });
});
