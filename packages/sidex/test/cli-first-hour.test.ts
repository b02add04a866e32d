// The CLI as a new user and their scripts meet it (issue "the first hour"),
// through the real binary against a real `sidex serve`; a pseudo-terminal
// where a terminal matters.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pty from '@lydell/node-pty';
import { afterAll, describe, expect, it } from 'vitest';
import { ownedDir } from './helpers/pipelines.js';
import { api, runCli, SIDEX_BIN, spawnServer, startTestServer, stopAndRemove } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const server = await startTestServer();
const dir = ownedDir('sidex-first-hour-');
const env = { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey };
const sidex = (args: string[], extra: Record<string, string> = {}) => runCli(args, { env: { ...env, ...extra }, cwd: dir });
const statusOf = async (id: string) => (await (await api(server, `/v1/executions/${id}`)).json()) as { status: string; name: string };

describe('scripts get what they can use', () => {
  it('sidex start prints the id alone on stdout, so ID=$(sidex start ...) then sidex stop $ID works', async () => {
    const { code, stdout, stderr } = await sidex(['start', '--code', 'await new Promise(() => {})']);
    expect(code).toBe(0);
    const id = stdout.trim();
    expect(id).toMatch(/^side_\S+$/);
    expect(stderr).toContain(`${id} running`);
    expect(await sidex(['stop', id])).toMatchObject({ code: 0, stdout: `${id} stopped\n` });
  });

  it('stop of an execution that had already ended exits 0 and says so', async () => {
    const id = (await sidex(['start', '--code', 'return 1'])).stdout.trim();
    expect(await eventually(async () => (await statusOf(id)).status === 'completed', 10_000)).toBe(true);
    expect(await sidex(['stop', id])).toMatchObject({ code: 0, stdout: `${id} completed (had already ended)\n` });
    const running = (await sidex(['start', '--code', 'await new Promise(() => {})'])).stdout.trim();
    expect(await sidex(['stop', '--force', running])).toMatchObject({ code: 0, stdout: `${running} stopped (forced)\n` });
    // Not the wire's raw "already_stopped".
    expect(await sidex(['stop', running])).toMatchObject({ code: 0, stdout: `${running} stopped (had already been stopped)\n` });
  });

  it('status of a running execution not yet sampled says so, not that it ended', async () => {
    const id = (await sidex(['start', '--code', 'await new Promise(() => {})'])).stdout.trim();
    const shown = await sidex(['status', id]);
    expect(shown.stdout).toMatch(/memory\s+(not measured yet|[\d.]+ MB)/);
    expect(shown.stdout).not.toContain('it ended before');
    await sidex(['stop', '--force', id]);
  });
});

describe('sidex start --wait on a terminal', () => {
  it('streams the output and stops on Ctrl-C, exiting as the execution ended', async () => {
    const term = pty.spawn(process.execPath, [SIDEX_BIN, 'start', '--wait', '--name', 'waited', '--code', "setInterval(() => console.log('tick'), 100); await new Promise(() => {})"], {
      cols: 120,
      rows: 30,
      env: { ...process.env, ...env, NO_COLOR: '1' } as Record<string, string>,
    });
    afterAll(() => term.kill('SIGKILL'));
    let output = '';
    term.onData((d) => (output += d));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    expect(await eventually(() => (output.match(/tick/g) ?? []).length >= 3, 15_000)).toBe(true);
    term.write('\x03');
    expect(await exited).toBe(130);
    expect(output).toContain('stopping');
  });
});

describe('the data directory a server makes', () => {
  it("is the server's user's alone, as is its database (records hold code, params and output)", async () => {
    const dataDir = path.join(dir, 'fresh', 'data');
    const server = await spawnServer({ args: ['--data-dir', dataDir] });
    try {
      const mode = (file: string) => (fs.statSync(file).mode & 0o777).toString(8);
      expect([mode(path.join(dir, 'fresh')), mode(dataDir), mode(path.join(dataDir, 'sidex.db')), mode(path.join(dataDir, 'logs'))]).toEqual(['700', '700', '600', '700']);
    } finally {
      await stopAndRemove(server);
    }
  });
});

describe('a reader that stops early', () => {
  it('`sidex run | head`: the CLI ends as SIGPIPE would (141), without an EPIPE stack', async () => {
    const child = spawn(process.execPath, [SIDEX_BIN, 'run', '-', '--embedded', '--data-dir', path.join(dir, 'embedded-pipe')], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end('for (let i = 0; i < 50000; i++) console.log("line " + i); return 1');
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(141);
    expect(stderr).not.toMatch(/EPIPE|at /);
  });
});

describe('messages that say what is wrong', () => {
  it('--url that is not a URL: a plain message, exit 2', async () => {
    const { code, stderr } = await runCli(['ls', '--url', 'notaurl'], { cwd: dir });
    expect(code).toBe(2);
    expect(stderr).toBe('sidex: --url notaurl: not a URL; give the server\'s address, e.g. http://127.0.0.1:5565 [INVALID_ARGUMENT]\n');
  });

  it('no key found: says none was sent and where it looked', async () => {
    const { code, stderr } = await runCli(['ls'], { env: { SIDEX_URL: server.url }, cwd: dir });
    expect(code).toBe(5);
    expect(stderr).toContain('needs an API key and none was given');
    expect(stderr).toContain(`no ${path.join(dir, '.sidex', 'api-key')}`);
    expect(stderr).not.toContain('refused the API key');
  });

  it('logs of an unknown id: EXECUTION_NOT_FOUND, exit 4', async () => {
    const { code, stderr } = await sidex(['logs', 'side_1_00000000']);
    expect(code).toBe(4);
    expect(stderr).toContain('[EXECUTION_NOT_FOUND]');
  });

  it('ls --status bogus lists the valid statuses; an empty ls says so', async () => {
    const bogus = await sidex(['ls', '--status', 'running,bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('--status bogus: not a status; one or more of queued, starting, running, stopping, completed, failed, stopped, timeout');
    const empty = await sidex(['ls', '--name', 'no-such-name']);
    expect(empty).toMatchObject({ code: 0, stdout: '', stderr: 'no executions match\n' });
  });

  it('a job that ended before its first memory sample says so instead of 0.0 MB', async () => {
    const id = (await sidex(['start', '--code', 'return 1'])).stdout.trim();
    expect(await eventually(async () => (await statusOf(id)).status === 'completed', 10_000)).toBe(true);
    const { stdout } = await sidex(['status', id]);
    expect(stdout).not.toContain('0.0 MB (peak 0.0 MB)');
    expect(stdout).toMatch(/memory\s+(not measured|peak \d+\.\d MB|\d+\.\d MB \(peak)/);
  });

  it('no server: said at once, not after a timeout', async () => {
    const began = Date.now();
    const { code, stderr } = await runCli(['ls'], { env: { SIDEX_URL: 'http://127.0.0.1:1', SIDEX_API_KEY: server.apiKey }, cwd: dir });
    expect(code).toBe(3);
    expect(stderr).toContain('nothing is listening at');
    expect(Date.now() - began).toBeLessThan(3000);
  });
});

describe('sidex run: the server when one answers, else an embedded engine, and it says which', () => {
  it('runs on the server at the default address (SIDEX_PORT) so that it appears in its ls', async () => {
    const port = new URL(server.url).port;
    const { code, stdout, stderr } = await runCli(['run', '-', '--params', '{"n": 2}'], { env: { SIDEX_PORT: port, SIDEX_API_KEY: server.apiKey }, cwd: dir, input: 'return n * 21' });
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('42');
    expect(stderr).toContain(`running on the server at http://127.0.0.1:${port}`);
    const listed = (await (await api(server, '/v1/executions?limit=5')).json()) as { executions: Array<{ params: unknown }> };
    expect(listed.executions.some((e) => JSON.stringify(e.params) === '{"n":2}')).toBe(true);
  });

  it('without a server runs embedded in a per-user data directory and leaves no log files', async () => {
    const home = path.join(dir, 'home');
    const { code, stdout, stderr } = await runCli(['run', '-'], { env: { SIDEX_PORT: '1', HOME: home, XDG_STATE_HOME: '' }, cwd: dir, input: "console.log('hello'); return 7" });
    expect(code).toBe(0);
    expect(stdout).toBe('hello\n7\n');
    const dataDir = path.join(home, '.local', 'state', 'sidex');
    expect(stderr).toContain(`running on an embedded engine (no server at http://127.0.0.1:1; data: ${dataDir})`);
    expect(fs.existsSync(path.join(dir, '.sidex'))).toBe(false);
    const logs = path.join(dataDir, 'logs');
    expect(fs.existsSync(logs) ? fs.readdirSync(logs).filter((f) => /\.(out|err|idx)$/.test(f)) : []).toEqual([]);
  });

  it('--embedded runs here even when a server answers', async () => {
    const { code, stderr } = await runCli(['run', '-', '--embedded', '--data-dir', path.join(dir, 'embedded')], { env: { SIDEX_PORT: new URL(server.url).port }, cwd: dir, input: 'return 1' });
    expect(code).toBe(0);
    expect(stderr).toContain('running on an embedded engine (--embedded;');
  });

  it('SIDEX_URL names the server (stderr is the code\'s alone); --embedded still runs here, and exec --detach is then refused', async () => {
    const env = { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey };
    const marker = `placed-${Date.now()}`;
    const remote = await runCli(['run', '-'], { env, cwd: dir, input: `return '${marker}-remote'` });
    expect([remote.code, remote.stdout.trim()]).toEqual([0, JSON.stringify(`${marker}-remote`)]);
    expect(remote.stderr).toBe('');
    const embedded = await runCli(['run', '-', '--embedded', '--data-dir', path.join(dir, 'embedded-url')], { env, cwd: dir, input: `return '${marker}-embedded'` });
    expect([embedded.code, embedded.stdout.trim()]).toEqual([0, JSON.stringify(`${marker}-embedded`)]);
    expect(embedded.stderr).toContain('running on an embedded engine (--embedded;');
    const detached = await runCli(['exec', '--embedded', '--detach', '--data-dir', path.join(dir, 'embedded-url'), '--', 'true'], { env, cwd: dir });
    expect(detached.code).toBe(2);
    expect(detached.stderr).toContain('--detach');
    const listed = JSON.stringify(await (await api(server, '/v1/executions?limit=20')).json());
    expect(listed).toContain(`${marker}-remote`);
    expect(listed).not.toContain(`${marker}-embedded`);
  });
});

describe('serve --concurrency and --max-queued', () => {
  it('bound what runs and what waits; a bad value names the flag', async () => {
    const bad = await runCli(['serve', '--data-dir', path.join(dir, 'bad'), '--concurrency', '0'], { cwd: dir });
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--concurrency: must be at least 1') });
    const small = await spawnServer({ args: ['--concurrency', '1', '--max-queued', '1'] });
    try {
      const start = async () => (await (await api(small, '/v1/executions', { method: 'POST', body: JSON.stringify({ inlineCode: 'await new Promise(() => {})' }) })).json()) as { status?: string; code?: string };
      expect(await start()).toMatchObject({ status: 'running' });
      expect(await start()).toMatchObject({ status: 'queued' });
      expect(await start()).toMatchObject({ code: 'QUEUE_FULL' });
    } finally {
      await stopAndRemove(small);
    }
  });
});
