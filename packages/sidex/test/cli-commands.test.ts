// The CLI on the SDK, against a real server: output for people and for scripts, and exit codes.
import fs from 'node:fs';
import path from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { writeTestBlocks } from './fixtures/blocks.js';
import { runCli, SIDEX_BIN, startTestServer } from './helpers/server.js';
import { expectInterruptedTwice } from './helpers/interrupt.js';
import { eventually, sleep } from './helpers/sidex.js';

const server = await startTestServer({ project: writeTestBlocks });
const env = { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey };
const sidex = (args: string[], extra: { input?: string; env?: Record<string, string> } = {}) =>
  runCli(args, { env: { ...env, ...extra.env }, cwd: server.root, ...(extra.input !== undefined ? { input: extra.input } : {}) });
const json = (text: string) => JSON.parse(text.trim().split('\n').pop()!) as Record<string, any>;

async function startLong(): Promise<string> {
  const { code, stdout } = await sidex(['start', '--json', '--code', "ctx.onStop(() => 'partial'); await new Promise(r => setTimeout(r, 600000))"]);
  expect(code).toBe(0);
  return json(stdout).sideExecutionId;
}

describe('sidex ls: filters and counts', () => {
  it('--search, --since, --type narrow the list; --counts counts by status', async () => {
    const started = json((await sidex(['start', '--json', '--wait', '--code', 'return 1', '--name', 'cli-listed-job'])).stdout);
    const found = await sidex(['ls', '--json', '--search', 'LISTED-JOB', '--since', '1h', '--type', 'side']);
    expect(found.code).toBe(0);
    expect(json(found.stdout).executions.map((e: { sideExecutionId: string }) => e.sideExecutionId)).toEqual([started.sideExecutionId]);
    expect(json((await sidex(['ls', '--json', '--search', 'listed-job', '--until', '1h'])).stdout).executions).toEqual([]);
    const counts = await sidex(['ls', '--counts', '--json']);
    expect(json(counts.stdout).counts.completed).toBeGreaterThanOrEqual(1);
    const table = await sidex(['ls', '--counts']);
    expect(table.stdout).toMatch(/STATUS\s+COUNT/);
    expect((await sidex(['ls', '--since', 'yesterday-ish'])).code).toBe(2);
    expect((await sidex(['ls', '--type', 'nope'])).code).toBe(2);
  });
});

describe('sidex start', () => {
  it('prints the id alone (the status goes to stderr); --json gives the reply data', async () => {
    const human = await sidex(['start', '--code', 'return 1']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^side_\d+_[0-9a-f]{8}\n$/);
    expect(human.stderr).toMatch(/^side_\d+_[0-9a-f]{8} (running|completed)\n$/);
    const machine = await sidex(['start', '--json', '--code', 'return 1']);
    expect(json(machine.stdout)).toMatchObject({ sideExecutionId: expect.stringMatching(/^side_/), status: expect.any(String) });
  });

  it('--wait: the result, and the exit code of how it ended', async () => {
    expect(await sidex(['start', '--wait', '--code', 'return params.a + 1', '--params', '{"a": 41}'])).toMatchObject({ code: 0, stdout: '42\n' });
    const failed = await sidex(['start', '--wait', '--code', 'throw new Error("boom")']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('boom');
    expect((await sidex(['start', '--wait', '--timeout', '200', '--code', 'await new Promise(r => setTimeout(r, 60000))'])).code).toBe(124);
  });

  it('--block and --file (and - for stdin)', async () => {
    const block = await sidex(['start', '--wait', '--json', '--block', '.codebolt/actionblocks/quick', '--params', '{"k": "v"}']);
    expect(block.code).toBe(0);
    expect(json(block.stdout)).toMatchObject({ status: 'completed', result: { quick: true, params: { k: 'v' } } });
    const file = path.join(server.root, 'job.js');
    fs.writeFileSync(file, 'console.log("from a file"); return "filed"');
    // --wait follows the execution: its output, then its result.
    expect(await sidex(['start', '--wait', '--file', file])).toMatchObject({ code: 0, stdout: 'from a file\n"filed"\n' });
    expect(await sidex(['start', '--wait', '--file', '-'], { input: 'return 9' })).toMatchObject({ code: 0, stdout: '9\n' });
  });

  it('bad usage and bad input exit 2 with a message', async () => {
    expect(await sidex(['start'])).toMatchObject({ code: 2, stderr: expect.stringContaining('exactly one of --code, --file or --block') });
    expect((await sidex(['start', '--code', '1', '--block', 'x'])).code).toBe(2);
    expect(await sidex(['start', '--code', 'return ('])).toMatchObject({ code: 2, stderr: expect.stringContaining('SYNTAX_ERROR') });
    expect((await sidex(['start', '--code', 'return 1', '--params', '[1]'])).code).toBe(2);
    // Sent as {"a": null} before; an empty timeout was 0 ms, and 0x10 16.
    expect(await sidex(['start', '--code', 'return 1', '--params', '{"a": 1e400}'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/--params.*"a" holds a number beyond/) });
    // Named as the flag, not as the option it is sent as (options.memoryLimitMb).
    expect(await sidex(['run', '-', '--memory', '16'], { input: 'return 1' })).toMatchObject({ code: 2, stderr: expect.stringMatching(/--memory.*must be at least 32 MB/) });
    for (const value of ['', '0x10', ' ']) {
      expect(await sidex(['start', '--code', 'return 1', '--timeout', value]), JSON.stringify(value)).toMatchObject({ code: 2, stderr: expect.stringMatching(/--timeout.*must be a number of milliseconds/) });
    }
    expect(await sidex(['start', '--file', '/nonexistent/job.js'])).toMatchObject({ code: 2, stderr: expect.stringContaining('cannot read') });
    expect(await sidex(['start', '--block', '/etc'])).toMatchObject({ code: 2, stderr: expect.stringContaining('PATH_OUTSIDE_ROOTS') });
  });
});

describe('sidex status, stop, ls, logs, blocks', () => {
  it('status: fields for people, the reply for scripts; unknown id exits 4', async () => {
    const id = await startLong();
    await sleep(200);
    const human = await sidex(['status', id]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`id\\s+${id}`));
    expect(human.stdout).toMatch(/status\s+running/);
    expect(json((await sidex(['status', '--json', id])).stdout)).toMatchObject({ sideExecutionId: id, status: 'running' });
    expect(await sidex(['status', 'side_1_00000000'])).toMatchObject({ code: 4, stderr: expect.stringContaining('EXECUTION_NOT_FOUND') });
    await sidex(['stop', id]);
  });

  it('stop <ids...> with --grace and --force; unknown ids exit 4; no ids exit 2', async () => {
    const [a, b] = [await startLong(), await startLong()];
    const stopped = await sidex(['stop', a, b, '--grace', '1000']);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`${a} stopped`);
    expect(stopped.stdout).toContain(`${b} stopped`);
    const again = await sidex(['stop', '--json', a]);
    expect(json(again.stdout)).toMatchObject({ status: 'already_stopped' });
    const c = await startLong();
    expect(await sidex(['stop', '--force', c])).toMatchObject({ code: 0, stdout: `${c} stopped (forced)\n` });
    expect((await sidex(['stop', 'side_1_00000000'])).code).toBe(4);
    expect((await sidex(['stop'])).code).toBe(2);
  });

  it('stop --all stops everything that has not ended', async () => {
    const ids = [await startLong(), await startLong()];
    const { code, stdout } = await sidex(['stop', '--all']);
    expect(code).toBe(0);
    for (const id of ids) expect(stdout).toContain(`${id} stopped`);
    const running = json((await sidex(['ls', '--json', '--status', 'running,queued,starting,stopping'])).stdout);
    expect(running.executions).toEqual([]);
  });

  it('ls: a table, filtered by --status, paged with --limit; --json', async () => {
    const id = await startLong();
    await sleep(100);
    const table = await sidex(['ls', '--status', 'running']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATUS\s+NAME\s+STARTED\s+DURATION$/);
    expect(lines.some((l) => l.startsWith(id) && /\srunning\s/.test(l))).toBe(true);
    const page = await sidex(['ls', '--limit', '1']);
    expect(page.stdout).toMatch(/more: sidex ls --cursor \S+/);
    expect(json((await sidex(['ls', '--json', '--limit', '2'])).stdout).executions).toHaveLength(2);
    expect((await sidex(['ls', '--status', 'bogus'])).code).toBe(2);
    await sidex(['stop', id]);
  });

  it('logs: stdout to stdout, stderr to stderr; -f follows to the end', async () => {
    const started = await sidex(['start', '--json', '--code', 'for (let i = 0; i < 3; i++) { console.log("out " + i); console.error("err " + i); await new Promise(r => setTimeout(r, 150)); }']);
    const id = json(started.stdout).sideExecutionId;
    const followed = await sidex(['logs', '-f', id]);
    expect(followed).toMatchObject({ code: 0, stdout: 'out 0\nout 1\nout 2\n', stderr: 'err 0\nerr 1\nerr 2\n' });
    const lines = (await sidex(['logs', '--json', id])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { stream: string; data: string });
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.data).join('')).toBe('err 0\nerr 1\nerr 2\n');
    expect((await sidex(['logs', 'side_1_00000000'])).code).toBe(4);
  });

  it('blocks: the action blocks the server finds', async () => {
    const { code, stdout } = await sidex(['blocks']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAME\s+TYPE\s+VERSION\s+PATH/);
    expect(stdout).toMatch(/quick\s+filesystem\s+1\.0\.0/);
    expect(json((await sidex(['blocks', '--json', '--type', 'builtin'])).stdout).actionBlocks.map((b: { name: string }) => b.name)).toEqual(['echo']);
  });
});

describe('sidex run', () => {
  it('runs on the server named by SIDEX_URL: output streamed, result printed, the execution listed there', async () => {
    const file = path.join(server.root, 'remote-job.js');
    fs.writeFileSync(file, 'console.log("remote " + n); return { n }');
    const { code, stdout } = await sidex(['run', file, '--params', '{"n": 5}']);
    expect(code).toBe(0);
    expect(stdout).toBe('remote 5\n{\n  "n": 5\n}\n');
    const listed = json((await sidex(['ls', '--json', '--limit', '1'])).stdout);
    expect(listed.executions[0]).toMatchObject({ status: 'completed', result: { n: 5 } });
  });

  it('without a server configured it runs embedded', async () => {
    const file = path.join(server.root, 'local-job.js');
    fs.writeFileSync(file, 'return 6 * 7');
    // SIDEX_PORT: nothing answers there, even while a Quick start server holds the default port.
    const { code, stdout } = await runCli(['run', file, '--data-dir', path.join(server.root, 'embedded')], { cwd: server.root, env: { SIDEX_PORT: '1' } });
    expect(code).toBe(0);
    expect(stdout).toBe('42\n');
  });

  it('Ctrl-C stops the execution on the server with the stop protocol and exits 130', async () => {
    const child = spawn(process.execPath, [SIDEX_BIN, 'run', '-'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end("ctx.onStop(() => console.log('cleaned up')); console.log('ready'); await new Promise(r => setTimeout(r, 60000))");
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually(() => out.includes('ready'), 15_000);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(out).toContain('cleaned up');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('embedded: Ctrl-C stops it; a second Ctrl-C forces a stop whose onStop hangs; exits 130', async () => {
    const childEnv = { ...process.env };
    delete childEnv.SIDEX_URL;
    const child = spawn(process.execPath, [SIDEX_BIN, 'run', '-', '--grace', '60000', '--data-dir', path.join(server.root, 'embedded-ctrl-c')], {
      env: childEnv,
      cwd: server.root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end("ctx.onStop(() => { console.log('stopping'); return new Promise(() => {}); }); console.log('ready'); await new Promise(r => setTimeout(r, 60000))");
    await expectInterruptedTwice(child, () => out);
  });

  it('a timeout on the server exits 124', async () => {
    expect((await sidex(['run', '-', '--timeout', '200'], { input: 'await new Promise(r => setTimeout(r, 60000))' })).code).toBe(124);
  });

  it('--max-output stops a runaway writer: exit 1, OUTPUT_LIMIT in its final status', async () => {
    const flood = "const line = 'w'.repeat(1023) + '\\n'; for (;;) process.stdout.write(line);";
    const { code, stdout } = await sidex(['run', '-', '--max-output', '1', '--json'], { input: flood });
    expect(code).toBe(1);
    expect(json(stdout)).toMatchObject({ status: 'failed', stopReason: 'output_limit', failure: { code: 'OUTPUT_LIMIT' } });
    expect((await sidex(['run', '-', '--max-output', '0'], { input: 'return 1' })).code).toBe(2);
  });
});

describe('talking to the server', () => {
  it('a wrong key exits 5; no server exits 3', async () => {
    expect(await sidex(['ls'], { env: { SIDEX_API_KEY: 'wrong-key-wrong-key' } })).toMatchObject({ code: 5, stderr: expect.stringContaining('UNAUTHORIZED') });
    expect(await sidex(['ls'], { env: { SIDEX_URL: 'http://127.0.0.1:1' } })).toMatchObject({ code: 3, stderr: expect.stringContaining('CONNECTION_REFUSED') });
  });

  it('uses the key a local server stored in its data directory when SIDEX_API_KEY is unset', async () => {
    const keyDir = path.join(server.root, 'keyed');
    fs.mkdirSync(keyDir);
    fs.writeFileSync(path.join(keyDir, 'api-key'), `${server.apiKey}\n`);
    expect((await runCli(['ls', '--url', server.url, '--data-dir', keyDir], { cwd: server.root })).code).toBe(0);
  });

  it('on a TTY: colour and a spinner; --json stays plain', async () => {
    // A person at a terminal: not a CI job (CI set turns spinners off, as it should).
    const { CI: _ci, ...terminalEnv } = process.env;
    const tty = (args: string) =>
      new Promise<string>((resolve) => {
        const command = `stty cols 100 rows 30; ${process.execPath} ${SIDEX_BIN} ${args}`;
        execFile('script', ['-qfec', command, '/dev/null'], { env: { ...terminalEnv, ...env, TERM: 'xterm' }, timeout: 20_000 }, (_err, stdout) => resolve(stdout));
      });
    const coloured = await tty('start --wait --code "await new Promise(r => setTimeout(r, 400)); return 1"');
    expect(coloured).toMatch(/\x1b\[\d+m/); // colour codes
    expect(coloured).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/); // ora's spinner frames
    const plain = await tty('ls --json --limit 1');
    expect(plain).not.toMatch(/\x1b\[\d+m/);
    // A terminal without a width gets colour but no spinner (it would redraw without end).
    const narrow = await new Promise<string>((resolve) => {
      execFile('script', ['-qfec', `stty cols 0; ${process.execPath} ${SIDEX_BIN} start --wait --code "return 2"`, '/dev/null'], { env: { ...process.env, ...env }, timeout: 20_000 }, (_err, stdout) => resolve(stdout));
    });
    expect(narrow.length).toBeLessThan(2000);
    expect(narrow).toContain('2');
  });
});
