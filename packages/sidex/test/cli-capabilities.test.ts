// sidex capabilities and sidex skill|power|talent run|stop|status|resume, against a real server on the fixture project.
import { describe, expect, it } from 'vitest';
import { copyCatalogProject } from './fixtures/projects/fixture-project.js';
import { runCli, startTestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const server = await startTestServer({ project: copyCatalogProject });
const sidex = (args: string[]) => runCli(args, { env: { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey }, cwd: server.root });
const lastJson = (text: string) => JSON.parse(text.trim().split('\n').pop()!) as Record<string, any>;
const names = (text: string) => lastJson(text).capabilities.map((c: { name: string }) => c.name).sort();

async function statusOf(id: string): Promise<Record<string, any>> {
  const { code, stdout } = await sidex(['skill', 'status', '--json', id]);
  expect(code).toBe(0);
  return lastJson(stdout);
}

describe('sidex capabilities', () => {
  it('a table of what the server finds; broken ones as warnings on stderr', async () => {
    const { code, stdout, stderr } = await sidex(['capabilities']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^NAME\s+TYPE\s+VERSION\s+SOURCE\s+DESCRIPTION/);
    expect(stdout).toMatch(/quick-task\s+skill\s+2\.0\.0\s+project\s+Returns its params/);
    expect(stdout).toMatch(/review\s+talent/);
    expect(stderr).toMatch(/warning: .*bad-yaml/);
  });

  it('--type, --tag and --author narrow it; --json gives the reply', async () => {
    expect(names((await sidex(['capabilities', '--json', '--type', 'talent'])).stdout)).toEqual(['review']);
    expect(names((await sidex(['capabilities', '--json', '--tag', 'long'])).stdout)).toEqual(['long-running-task']);
    expect(names((await sidex(['capabilities', '--json', '--author', 'ALICE'])).stdout)).toContain('quick-task');
  });

  it('--executors lists what runs them', async () => {
    const { code, stdout } = await sidex(['capabilities', '--executors']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/echo-executor\s+talent/);
  });

  it('a type that is not one exits 2', async () => {
    expect(await sidex(['capabilities', '--type', 'spell'])).toMatchObject({ code: 2, stderr: expect.stringContaining('skill, power or talent') });
  });
});

describe('sidex skill', () => {
  it('run follows to the end: the result printed, exit 0; a failing one exits 1 with its error', async () => {
    const done = await sidex(['skill', 'run', 'quick-task', '--params', '{"delayMs": 10}']);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual({ done: true, params: { delayMs: 10, fail: false } });
    const failedRun = await sidex(['skill', 'run', 'quick-task', '--params', '{"fail": true}']);
    expect(failedRun.code).toBe(1);
    expect(failedRun.stderr).toContain('quick-task was asked to fail');
  });

  it('run --detach, status, stop, resume from the checkpoint, stop again', async () => {
    const started = await sidex(['skill', 'run', 'long-running-task', '--detach', '--json']);
    expect(started.code).toBe(0);
    const id = lastJson(started.stdout).executionId as string;
    expect(await eventually(async () => (await statusOf(id)).checkpoint?.step > 2)).toBe(true);

    const human = await sidex(['skill', 'status', id]);
    expect(human.stdout).toMatch(/status\s+running/);
    expect(human.stdout).toMatch(/capability\s+long-running-task \(skill\)/);

    const stopped = await sidex(['skill', 'stop', id]);
    expect(stopped).toMatchObject({ code: 0, stdout: `${id} stopped\n` });
    const step = (await statusOf(id)).checkpoint.step as number;

    const resumed = await sidex(['skill', 'resume', '--detach', '--json', id]);
    expect(resumed.code).toBe(0);
    const next = lastJson(resumed.stdout);
    expect(next).toMatchObject({ resumedFrom: id, executionId: expect.not.stringMatching(id) });
    expect(await eventually(async () => ((await statusOf(next.executionId)).output as string).includes(`ready from ${step}`))).toBe(true);
    expect((await sidex(['skill', 'status', next.executionId])).stdout).toMatch(new RegExp(`resumed from\\s+${id}`));
    expect(await sidex(['skill', 'stop', '--force', next.executionId])).toMatchObject({ code: 0 });
    expect(await sidex(['skill', 'stop', next.executionId])).toMatchObject({ code: 0, stdout: `${next.executionId} stopped (had already been stopped)\n` });
  });

  it('power and talent run the same way, through their executors', async () => {
    const talent = await sidex(['talent', 'run', '--json', 'review']);
    expect(talent.code).toBe(0);
    expect(lastJson(talent.stdout).status).toBe('completed');
  });

  it('unknown names and ids exit 4; bad params exit 2 naming the field; bad JSON exits 2', async () => {
    expect(await sidex(['skill', 'run', 'no-such-skill'])).toMatchObject({ code: 4, stderr: expect.stringContaining('CAPABILITY_NOT_FOUND') });
    expect(await sidex(['skill', 'status', 'side_1_deadbeef'])).toMatchObject({ code: 4, stderr: expect.stringContaining('EXECUTION_NOT_FOUND') });
    expect(await sidex(['skill', 'stop', 'side_1_deadbeef'])).toMatchObject({ code: 4 });
    expect(await sidex(['skill', 'resume', 'side_1_deadbeef'])).toMatchObject({ code: 4 });
    const bad = await sidex(['skill', 'run', 'typed', '--params', '{"count": "three"}']);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('INVALID_PARAMS') });
    expect(bad.stderr).toMatch(/count/);
    expect(bad.stderr).toMatch(/text/);
    expect((await sidex(['skill', 'run', 'quick-task', '--params', '{oops'])).code).toBe(2);
  });
});
