// Commands through every door of a real `sidex serve`: the Codebolt WebSocket
// (through the SDK), REST, and the CLI's `sidex exec`, remote and embedded.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SidexClient } from '@sidex/client';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, withToken } from './helpers/attacks.js';
import { RawSocket } from './helpers/raw-ws.js';
import { api, runCli, SIDEX_BIN, startTestServer } from './helpers/server.js';
import { expectInterruptedTwice } from './helpers/interrupt.js';
import { eventually } from './helpers/sidex.js';

const server = await startTestServer({ project: (dir) => fs.writeFileSync(path.join(dir, 'data.txt'), 'in the project\n') });
const client = new SidexClient({ url: server.url, apiKey: server.apiKey });
afterAll(() => client.close());

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
const post = (route: string, body: unknown) => api(server, route, { method: 'POST', body: JSON.stringify(body) }).then(json);
const get = (route: string) => api(server, route).then(json);

/** Resolves once the execution's stdout holds `text` (bounded). */
async function printed(id: string, text: string): Promise<void> {
  const seen = async () => {
    const status = await client.sideExecution.getStatus(id);
    return status.success && status.output.includes(text);
  };
  expect(await eventually(seen, 15_000)).toBe(true);
}

describe('SDK over the Codebolt WebSocket', () => {
  it('startWithCommand answers once exec\'d; the status shows the command, its exit code and output', async () => {
    const started = await client.sideExecution.startWithCommand(['sh', '-c', 'cat data.txt; exit 3'], { cwd: server.projectDir });
    expect(started.success && started.status).toBe('running');
    if (!started.success) return;
    const done = await client.wait(started.sideExecutionId);
    expect(done).toMatchObject({ success: true, status: 'failed', exitCode: 3, signal: null, output: 'in the project\n', command: ['sh', '-c', 'cat data.txt; exit 3'], isRuntimeCode: false });
    expect(done.success && done.failure?.code).toBe('EXIT_CODE');
  });

  it('stdin: bytes at start, streamed writes, then close', async () => {
    const started = await client.sideExecution.startWithCommand(['cat'], { stdin: { data: 'one\n', open: true } });
    if (!started.success) throw new Error(started.error);
    const id = started.sideExecutionId;
    await printed(id, 'one\n');
    const wrote = await client.sideExecution.writeStdin(id, Uint8Array.from([0x74, 0x77, 0x6f, 0x0a]));
    expect(wrote).toMatchObject({ success: true, sideExecutionId: id, written: 4, stdinOpen: true });
    await printed(id, 'two\n');
    expect(await client.sideExecution.closeStdin(id)).toMatchObject({ success: true, stdinOpen: false });
    const done = await client.wait(id);
    expect(done.success && [done.status, done.output]).toEqual(['completed', 'one\ntwo\n']);
    const late = await client.sideExecution.writeStdin(id, 'late');
    expect(late).toMatchObject({ success: false, code: 'NOT_RUNNING' });
  });

  it('a stop is graceful then forced; nothing of a setsid tree survives', async () => {
    const token = `sidex-server-cmd-${process.pid}-${Date.now()}`;
    try {
      const script = `setsid sh -c 'trap "" TERM; while :; do sleep 1; done' ${token} & trap "" TERM; sleep 0.2; echo ready; wait`;
      const started = await client.sideExecution.startWithCommand(['sh', '-c', script], { graceMs: 300 });
      if (!started.success) throw new Error(started.error);
      await printed(started.sideExecutionId, 'ready');
      expect(withToken(token).length).toBeGreaterThanOrEqual(1);
      const stopped = await client.sideExecution.stop(started.sideExecutionId);
      expect(stopped).toMatchObject({ success: true, status: 'stopped', forced: true, output: 'ready\n' });
      expect(withToken(token)).toEqual([]);
    } finally {
      killAll(withToken(token));
    }
  });

  it('an unknown program and a file that is not executable get their codes and the path tried', async () => {
    const unknown = await client.sideExecution.startWithCommand(['no-such-program-sidex']);
    expect(unknown).toMatchObject({ success: false, code: 'COMMAND_NOT_FOUND', details: { path: 'no-such-program-sidex' } });
    const notExecutable = await client.sideExecution.startWithCommand(['./data.txt'], { cwd: server.projectDir });
    expect(notExecutable).toMatchObject({ success: false, code: 'COMMAND_NOT_EXECUTABLE', details: { path: path.join(server.projectDir, 'data.txt') } });
  });

  it('a command together with inline code is refused, naming the field', async () => {
    const raw = await RawSocket.open(server.wsUrl, server.apiKey);
    try {
      const reply = await raw.request({ type: 'sideExecution', action: 'startSideExecution', command: ['true'], inlineCode: 'return 1' });
      expect(reply).toMatchObject({ type: 'startSideExecutionResponse', success: false, code: 'INVALID_ARGUMENT', details: { field: 'command' } });
      const withParams = await raw.request({ type: 'sideExecution', action: 'startSideExecution', command: ['true'], params: { a: 1 } });
      expect(withParams).toMatchObject({ success: false, code: 'INVALID_ARGUMENT', details: { field: 'params' } });
      const badStdin = await raw.request({ type: 'sideExecution', action: 'startSideExecution', command: ['cat'], stdin: 42 });
      expect(badStdin).toMatchObject({ success: false, details: { issues: [{ field: 'stdin' }] } });
    } finally {
      raw.ws.close();
    }
  });
});

describe('REST', () => {
  it('POST /v1/executions {command} starts it (201); logs give the exact bytes as base64 or raw', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x0a, 0x80]);
    const { status, body } = await post('/v1/executions', { command: ['cat'], stdin: { data: bytes.toString('base64'), encoding: 'base64' } });
    expect(status).toBe(201);
    const id = body.sideExecutionId as string;
    await client.wait(id);
    const lines = (await (await api(server, `/v1/executions/${id}/logs?encoding=base64`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(Buffer.concat(lines.map((l: { data: string }) => Buffer.from(l.data, 'base64'))).equals(bytes)).toBe(true);
    expect(lines[0]).toMatchObject({ stream: 'stdout', encoding: 'base64' });
    const raw = await api(server, `/v1/executions/${id}/logs?format=raw&stream=stdout`);
    expect(raw.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await raw.arrayBuffer()).equals(bytes)).toBe(true);
    const stderr = await api(server, `/v1/executions/${id}/logs?format=raw&stream=stderr`);
    expect((await stderr.arrayBuffer()).byteLength).toBe(0);
    // Status replies stay text.
    expect((await get(`/v1/executions/${id}`)).body.output).toBe('\u0000\ufffd\ufffdA\n\ufffd');
  });

  it('POST /v1/executions/:id/stdin writes and closes; refusals have their status', async () => {
    const { body } = await post('/v1/executions', { command: ['cat'], stdin: { open: true } });
    const id = body.sideExecutionId as string;
    expect(await post(`/v1/executions/${id}/stdin`, { data: 'hello\n' })).toMatchObject({ status: 200, body: { success: true, written: 6, stdinOpen: true } });
    expect(await post(`/v1/executions/${id}/stdin`, { data: '!!', encoding: 'base64' })).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT', details: { field: 'data' } } });
    // A write of nothing answered as if it had written.
    expect(await post(`/v1/executions/${id}/stdin`, {})).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT', details: { field: 'data' } } });
    expect(await post(`/v1/executions/${id}/stdin`, { close: true })).toMatchObject({ status: 200, body: { stdinOpen: false } });
    expect(await post(`/v1/executions/${id}/stdin`, { data: 'x' })).toMatchObject({ status: 409, body: { code: expect.stringMatching(/^(STDIN_CLOSED|NOT_RUNNING)$/) } });
    const done = await client.wait(id);
    expect(done.success && done.output).toBe('hello\n');
    const js = await post('/v1/executions', { inlineCode: 'return 1' });
    await client.wait(js.body.sideExecutionId);
    expect(await post(`/v1/executions/${js.body.sideExecutionId}/stdin`, { data: 'x' })).toMatchObject({ status: 409, body: { code: 'NOT_A_COMMAND' } });
    expect(await post('/v1/executions/side_1_00000000/stdin', { data: 'x' })).toMatchObject({ status: 404, body: { code: 'EXECUTION_NOT_FOUND' } });
  });

  it('bad command starts are refused with the field named; resume of a command is refused', async () => {
    expect(await post('/v1/executions', { command: [] })).toMatchObject({ status: 400, body: { success: false, details: { issues: [{ field: 'command' }] } } });
    expect(await post('/v1/executions', { command: ['echo', 3] })).toMatchObject({ status: 400, body: { details: { issues: [{ field: 'command[1]' }] } } });
    expect(await post('/v1/executions', { command: ['pwd'], cwd: '/etc' })).toMatchObject({ status: 400, body: { code: 'PATH_OUTSIDE_ROOTS', details: { field: 'cwd' } } });
    expect(await post('/v1/executions', { command: ['true'], actionBlockPath: 'x' })).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT' } });
    expect(await post('/v1/executions', { command: ['nope-sidex-none'] })).toMatchObject({ status: 400, body: { code: 'COMMAND_NOT_FOUND', details: { path: 'nope-sidex-none' } } });
    // Empty params say nothing, and a client that always sends them is served.
    const emptyParams = await post('/v1/executions', { command: ['true'], params: {} });
    expect(emptyParams.status).toBe(201);
    await client.wait(emptyParams.body.sideExecutionId);
    // A name or value the kernel's environment cannot hold as given: refused, where it was cut or split before (or failed to spawn, recorded).
    const before = (await get('/v1/executions?kind=command&limit=1000')).body.executions.length;
    for (const [env, field] of [[{ 'A=B': 'x' }, 'env.A=B'], [{ A: 'x\u0000y' }, 'env.A'], [{ '': 'x' }, 'env.'], [{ A: 1 }, 'env.A']] as const) {
      expect(await post('/v1/executions', { command: ['true'], env }), JSON.stringify(env)).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT', details: { issues: [{ field }] } } });
    }
    expect(await post('/v1/executions', { inlineCode: 'return 1', options: { env: { 'A=B': 'x' } } })).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT', details: { issues: [{ field: 'options.env.A=B' }] } } });
    expect(await post('/v1/executions', { command: ['echo', 'hi'], params: { a: 1 } })).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT', details: { field: 'params' } } });
    expect(await post('/v1/executions', { command: ['pwd'], cwd: 'a\u0000b' })).toMatchObject({ status: 400, body: { details: { issues: [{ field: 'cwd', message: 'must not hold a NUL character' }] } } });
    expect((await get('/v1/executions?kind=command&limit=1000')).body.executions.length).toBe(before);
    // Unknown fields named like Object's own properties found them as error codes (`code: {}`, or none).
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      expect(await post('/v1/executions', JSON.parse(`{"command":["true"],"${name}":1}`)), name).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT' } });
      expect(await get(`/v1/executions?${name}=1`), name).toMatchObject({ status: 400, body: { code: 'INVALID_ARGUMENT' } });
    }
    const ran = await post('/v1/executions', { command: ['true'] });
    await client.wait(ran.body.sideExecutionId);
    expect(await post(`/v1/executions/${ran.body.sideExecutionId}/resume`, {})).toMatchObject({ status: 409, body: { code: 'NOT_RESUMABLE' } });
    const listed = await get('/v1/executions?kind=command&limit=1000');
    expect(listed.body.executions.some((e: { sideExecutionId: string }) => e.sideExecutionId === ran.body.sideExecutionId)).toBe(true);
  });
});

describe('sidex exec', () => {
  const env = { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey };

  it('streams the output byte for byte, passes stdin on, and exits with the program\'s own code', async () => {
    const run = await runCli(['exec', '--', 'sh', '-c', 'cat; echo err >&2; exit 5'], { env, cwd: server.projectDir, input: 'piped in\n' });
    expect(run).toMatchObject({ code: 5, stdout: 'piped in\n', stderr: 'err\n' });
    const signalled = await runCli(['exec', '--', 'sh', '-c', 'kill -USR1 $$'], { env, cwd: server.projectDir });
    expect(signalled.code).toBe(128 + 10);
    expect((await runCli(['exec', '--', 'no-such-program-sidex'], { env, cwd: server.projectDir })).code).toBe(127);
    expect((await runCli(['exec', '--', './data.txt'], { env, cwd: server.projectDir })).code).toBe(126);
    expect((await runCli(['exec', '--timeout', '200', '--', 'sleep', '30'], { env, cwd: server.projectDir })).code).toBe(124);
  });

  it('--detach prints the id alone on stdout (the start reply with --json) and leaves it running', async () => {
    const run = await runCli(['exec', '--detach', '--', 'sleep', '30'], { env, cwd: server.projectDir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^side_\S+\n$/);
    const id = run.stdout.trim();
    expect(run.stderr).toContain(`${id} running`);
    const json = await runCli(['exec', '--detach', '--json', '--', 'sleep', '30'], { env, cwd: server.projectDir });
    const reply = JSON.parse(json.stdout) as { sideExecutionId: string; status: string };
    for (const started of [id, reply.sideExecutionId]) {
      expect(await client.sideExecution.getStatus(started)).toMatchObject({ success: true, status: 'running' });
      expect(await client.sideExecution.stop(started, { force: true })).toMatchObject({ success: true, status: 'stopped' });
    }
  });

  it('without --url, a server answering at the default address runs it (it is in its list), and says so', async () => {
    const port = new URL(server.url).port;
    const run = await runCli(['exec', '--', 'sh', '-c', 'echo on the server'], { env: { SIDEX_PORT: port, SIDEX_API_KEY: server.apiKey }, cwd: server.projectDir });
    expect(run).toMatchObject({ code: 0, stdout: 'on the server\n' });
    expect(run.stderr).toContain(`running on the server at http://127.0.0.1:${port}`);
    const listed = await get('/v1/executions?kind=command&q=on%20the%20server');
    expect(listed.body.executions.length).toBeGreaterThanOrEqual(1);
  });

  it('embedded: runs in the current directory, in a per-user data directory, leaving no log files', async () => {
    const home = path.join(server.root, 'home');
    const run = await runCli(['exec', '--', 'sh', '-c', 'cat data.txt; exit 4'], { env: { SIDEX_PORT: '1', HOME: home, XDG_STATE_HOME: '' }, cwd: server.projectDir });
    expect(run).toMatchObject({ code: 4, stdout: 'in the project\n' });
    const dataDir = path.join(home, '.local', 'state', 'sidex');
    expect(run.stderr).toContain(`running on an embedded engine (no server at http://127.0.0.1:1; data: ${dataDir})`);
    expect(fs.existsSync(path.join(server.projectDir, '.sidex'))).toBe(false);
    const logs = path.join(dataDir, 'logs');
    expect(fs.existsSync(logs) ? fs.readdirSync(logs).filter((f) => /\.(out|err|idx)$/.test(f)) : []).toEqual([]);
  });

  it('embedded: --detach is refused (the program would end with the CLI); nothing runs', async () => {
    const marker = path.join(server.root, `detached-${process.pid}`);
    const run = await runCli(['exec', '--embedded', '--detach', '--data-dir', path.join(server.root, 'embedded'), '--', 'touch', marker], { env: { SIDEX_PORT: '1' }, cwd: server.projectDir });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--detach leaves the program running on a server');
    expect(run.stderr).toContain('[INVALID_ARGUMENT]');
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('Ctrl-C stops the program gracefully, a second forces; exits 130', async () => {
    const child = spawn(process.execPath, [SIDEX_BIN, 'exec', '--grace', '60000', '--', 'sh', '-c', 'trap "echo stopping" TERM; echo ready; while :; do sleep 0.1; done'], {
      env: { ...process.env, ...env },
      cwd: server.projectDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await expectInterruptedTwice(child, () => out);
  });
});
