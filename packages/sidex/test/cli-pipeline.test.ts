// `sidex pipeline use|send|status|terminate|watch` against a real server,
// over its RocketRide dialect: output for people and for scripts, exit codes,
// and watch's live progress bar on a terminal.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeChain } from './fixtures/pipelines.js';
import { runCli, SIDEX_BIN, startTestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const server = await startTestServer();
const env = { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey };
const sidex = (args: string[], extra: { input?: string; env?: Record<string, string> } = {}) =>
  runCli(['pipeline', ...args], { env: { ...env, ...extra.env }, cwd: server.root, ...(extra.input !== undefined ? { input: extra.input } : {}) });
const json = (text: string) => JSON.parse(text.trim().split('\n').pop()!) as Record<string, any>;

function pipelineFile(name: string, code: string, wrapped = false): string {
  const file = path.join(server.root, name);
  fs.writeFileSync(file, JSON.stringify(wrapped ? { pipeline: codeChain(code) } : codeChain(code)));
  return file;
}
const shout = pipelineFile('shout.json', 'return input.toUpperCase()', true);
const slow = pipelineFile('slow.json', 'await new Promise((r) => setTimeout(r, 1500)); return input');
// Items that wait until the test releases them: nothing depends on how fast a busy machine runs.
// In the project directory: the one place outside that executions see (read-only), sandboxed or not.
const release = path.join(server.projectDir, 'release');
const gated = pipelineFile('gated.json', `while (!require('node:fs').existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 20)); return input`);

describe('use, send, status, terminate', () => {
  it('use prints the token; send prints the result; status the counts; terminate waits for the end (exit 0)', async () => {
    const used = await sidex(['use', shout, '--threads', '2', '--name', 'cli-task']);
    expect(used.code, used.stderr).toBe(0);
    const token = used.stdout.trim();
    expect(token).toMatch(/^tk_[\w-]+$/);

    const sent = await sidex(['send', token, 'hello cli']);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ text: ['HELLO CLI\n\n'] });
    const fromStdin = await sidex(['send', token, '--json', '--name', 'piped'], { input: 'from stdin' });
    expect(json(fromStdin.stdout)).toMatchObject({ name: 'piped', text: ['FROM STDIN\n\n'] });
    const file = path.join(server.root, 'item.txt');
    fs.writeFileSync(file, 'file item');
    expect(json((await sidex(['send', token, '--file', file, '--mime', 'text/plain', '--json'])).stdout)).toMatchObject({ name: 'item.txt', text: ['FILE ITEM\n\n'] });

    const status = await sidex(['status', token]);
    expect(status.stdout).toMatch(/state\s+3 Running/);
    expect(status.stdout).toMatch(/items\s+3 completed, 0 failed, 0 cancelled, 0 refused, 0 in progress of 3/);
    expect(json((await sidex(['status', token, '--json'])).stdout)).toMatchObject({ token, name: 'cli-task', threads: 2, completedCount: 3 });

    const terminated = await sidex(['terminate', token]);
    expect(terminated.code).toBe(0);
    expect(terminated.stdout).toBe(`${token} stopped: 3 completed, 0 failed, 0 cancelled, 0 refused, 0 in progress of 3\n`);
    const again = await sidex(['terminate', token, '--json']);
    expect(again.code).not.toBe(0);
    expect(json(again.stdout)).toMatchObject({ success: false, code: 'TASK_TERMINATED' });
  });

  it('exit codes: 4 unknown token, 2 bad input, 5 wrong key, 3 no server, 1 refused item', async () => {
    expect(await sidex(['status', 'tk_nope'])).toMatchObject({ code: 4, stderr: expect.stringMatching(/no task with token "tk_nope" \[TASK_NOT_FOUND\]/) });
    expect((await sidex(['terminate', 'tk_nope'])).code).toBe(4);
    expect((await sidex(['use', path.join(server.root, 'missing.json')])).code).toBe(2);
    const notJson = path.join(server.root, 'not.json');
    fs.writeFileSync(notJson, '{ components: ');
    expect(await sidex(['use', notJson])).toMatchObject({ code: 2, stderr: expect.stringMatching(/not\.json.*INVALID_PIPELINE/) });
    const invalid = pipelineFile('invalid.json', 'return (');
    expect(await sidex(['use', invalid])).toMatchObject({ code: 2, stderr: expect.stringMatching(/INVALID_PIPELINE/) });
    expect((await sidex(['use', shout, '--threads', 'lots'])).code).toBe(2);
    expect((await sidex(['status', 'tk_x'], { env: { SIDEX_API_KEY: 'wrong-wrong-wrong-wrong' } })).code).toBe(5);
    expect((await sidex(['status', 'tk_x'], { env: { SIDEX_URL: 'http://127.0.0.1:9' } })).code).toBe(3);

    const token = (await sidex(['use', shout])).stdout.trim();
    await sidex(['terminate', token]);
    expect(await sidex(['send', token, 'late'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/TASK_NOT_RUNNING/) });
  });
});

describe('watch', () => {
  it('follows the counts until the task ends; exit 130 for a terminated task; --json gives statuses', async () => {
    const token = (await sidex(['use', gated, '--threads', '2'])).stdout.trim();
    const items = [sidex(['send', token, 'a']), sidex(['send', token, 'b'])];
    const watching = sidex(['watch', token]);
    const watchingJson = sidex(['watch', token, '--json']);
    expect(await eventually(async () => json((await sidex(['status', token, '--json'])).stdout).inProgressCount === 2, 15_000)).toBe(true);
    fs.writeFileSync(release, '');
    const terminated = await sidex(['terminate', token]);
    expect(terminated.code).toBe(0);
    await Promise.all(items);
    const plain = await watching;
    expect(plain.code).toBe(130);
    const lines = plain.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Running: \d+ completed/);
    expect(lines.at(-1)).toBe('Stopped: 2 completed, 0 failed, 0 cancelled, 0 refused, 0 in progress of 2');
    const statuses = (await watchingJson).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(statuses.at(-1)).toMatchObject({ state: 6, completedCount: 2 });
    // A task that has already ended: watch prints it and exits at once.
    expect(await sidex(['watch', token])).toMatchObject({ code: 130, stdout: 'Stopped: 2 completed, 0 failed, 0 cancelled, 0 refused, 0 in progress of 2\n' });
  });

  it('on a terminal: a live progress bar, redrawn in place', async () => {
    const token = (await sidex(['use', slow, '--threads', '3'])).stdout.trim();
    const items = ['a', 'b', 'c'].map((t) => sidex(['send', token, t]));
    const command = `stty cols 120 rows 30; ${process.execPath} ${SIDEX_BIN} pipeline watch ${token}`;
    const tty = new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = execFile('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...env, TERM: 'xterm' }, timeout: 30_000 }, (_err, stdout) =>
        resolve({ code: child.exitCode, out: stdout }),
      );
    });
    await Promise.all(items);
    await sidex(['terminate', token]);
    const { out } = await tty;
    expect(out).toMatch(/\r\x1b\[2K/); // the line is redrawn
    expect(out).toContain('█'); // the bar
    expect(out).toMatch(/3\/3 · .*3 ok.* · .*0 failed/);
    expect(out).toMatch(/terminated \(3 completed, 0 failed, 0 cancelled, 0 refused\)/);
  });
});
