// Running pipelines: what each provider does to an item, the item result, the
// threads, failures, the status and its events, the idle TTL, and the status
// read back from the store once the task has ended.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore, Sidex, TaskState, type PipelineEvent } from '../dist/index.js';
import { codeChain, type Component } from './fixtures/pipelines.js';
import { ownedDir, rejection, statusOf, untilStatus } from './helpers/pipelines.js';
import { makeSidex, sleep } from './helpers/sidex.js';

const project = ownedDir('sidex-pipeline-run-');
const blockDir = path.join(project, '.codebolt', 'actionblocks', 'shout');
fs.mkdirSync(blockDir, { recursive: true });
fs.writeFileSync(path.join(blockDir, 'actionblock.yml'), 'name: shout\nentryPoint: index.mjs\n');
fs.writeFileSync(path.join(blockDir, 'index.mjs'), 'export default (params, ctx) => ({ lanes: { text: String(params.input).toUpperCase() + "!", meta: { lane: ctx.lane } } });');

const store = new MemoryStore();
const sidex = makeSidex({ projectDir: project, store, pipelines: { statusIntervalMs: 1000 } });
const otherDataDir = path.join(ownedDir('sidex-pipeline-second-'), 'data');
const pipelines = sidex.pipelines;

const webhook: Component = { id: 'webhook_1', provider: 'webhook', config: { mode: 'Source' } };
const reads = (from: string, lane = 'text') => [{ lane, from }];

async function runOne(components: Component[], data: string, mimeType?: string) {
  const { token } = await pipelines.use({ pipeline: { components } });
  try {
    return await pipelines.send(token, data, { name: 'the item' }, mimeType);
  } finally {
    await pipelines.terminate(token);
  }
}

describe('providers, and the item result', () => {
  it('a 3-stage code chain: each return value goes on along the same lane', async () => {
    const result = await runOne(codeChain('return input.trim()', 'return input.toUpperCase()', 'return `<${input}>`').components, '  hello ');
    expect(result).toEqual({ name: 'the item', path: '', objectId: expect.stringMatching(/^[0-9a-f-]{36}$/), result_types: { text: 'text' }, text: ['<HELLO>\n\n'] });
  });

  it('{lanes: {...}} sends along named lanes; undefined sends nothing on; ctx.emit adds values; ctx.state lasts across items', async () => {
    const { token } = await pipelines.use({
      pipeline: {
        components: [
          webhook,
          { id: 'route', provider: 'code', input: reads('webhook_1'), config: { code: `
              ctx.state.seen = (ctx.state.seen ?? 0) + 1;
              if (input === 'drop') return undefined;
              ctx.emit('text', 'extra ' + ctx.state.seen);
              return { lanes: { text: input, answers: { len: input.length, lane: ctx.lane, item: ctx.item.name } } };` } },
          { id: 'response_1', provider: 'response', input: [...reads('route'), ...reads('route', 'answers')] },
        ],
      },
    });
    expect(await pipelines.send(token, 'abc', { name: 'first' })).toMatchObject({
      result_types: { text: 'text', answers: 'answers' },
      text: ['abc\n\nextra 1\n\n'],
      answers: [{ len: 3, lane: 'text', item: 'first' }],
    });
    expect((await pipelines.send(token, 'drop')).result_types).toBeUndefined(); // nothing collected: no result_types
    expect(await pipelines.send(token, 'x')).toMatchObject({ text: ['x\n\nextra 3\n\n'] });
    await pipelines.terminate(token);
  });

  it('splitter, json_field, template and response_text', async () => {
    const result = await runOne(
      [
        webhook,
        { id: 'field', provider: 'json_field', config: { field: 'user.lines' }, input: reads('webhook_1', 'data') },
        { id: 'split', provider: 'splitter', config: { separator: '\\s*;\\s*', regex: true, lane: 'text' }, input: reads('field', 'data') },
        { id: 'fill', provider: 'template', config: { template: '{{item.name}}: {{input}} ({{input.missing}})' }, input: reads('split') },
        { id: 'out', provider: 'response_text', config: { key: 'lines' }, input: reads('fill') },
      ],
      JSON.stringify({ user: { lines: 'one; two ;;three' } }),
      'application/json',
    );
    expect(result).toMatchObject({ result_types: { lines: 'text' }, lines: ['the item: one ()\n\nthe item: two ()\n\nthe item: three ()\n\n'] });
  });

  it('chat: questions are the JSON the client sent; the data lane of text that is no JSON is the text', async () => {
    const result = await runOne(
      [
        { id: 'chat_1', provider: 'chat', config: { mode: 'Source' } },
        { id: 'webhook_2', provider: 'webhook' },
        { id: 'q', provider: 'json_field', config: { field: 'questions.0.text' }, input: reads('chat_1', 'questions') },
        { id: 'out', provider: 'response', input: [...reads('q', 'questions'), ...reads('chat_1')] },
      ],
      JSON.stringify({ questions: [{ text: 'why?' }] }),
      'application/rocketride-question',
    );
    expect(result).toMatchObject({ questions: ['why?'], text: [`${JSON.stringify({ questions: [{ text: 'why?' }] })}\n\n`] });
  });

  it('dropper: a dropped file is the item, its JSON on the data lane (and not on text)', async () => {
    const result = await runOne(
      [
        { id: 'dropper_1', provider: 'dropper', config: { mode: 'Source' } },
        { id: 'name', provider: 'json_field', config: { field: 'name' }, input: reads('dropper_1', 'data') },
        { id: 'out', provider: 'response', input: [...reads('name', 'data'), ...reads('dropper_1')] },
      ],
      JSON.stringify({ name: 'report.pdf' }),
      'application/json',
    );
    // JSON is no text for RocketRide's sources: it goes raw on tags (and on sidex's data lane), never on text.
    expect(result).toMatchObject({ data: ['report.pdf'], result_types: { data: 'data' } });
    expect(result.text).toBeUndefined();
  });

  it('an action block, by name and by path, called once per item with {input}', async () => {
    for (const config of [{ name: 'shout' }, { path: blockDir }]) {
      const result = await runOne(
        [webhook, { id: 'blk', provider: 'actionblock', config, input: reads('webhook_1') }, { id: 'out', provider: 'response', input: [...reads('blk'), ...reads('blk', 'meta')] }],
        'hey',
      );
      expect(result).toMatchObject({ text: ['HEY!\n\n'], meta: [{ lane: 'text' }] });
    }
  });
});

describe('threads', () => {
  it('threads items run at once; a further open waits for a slot', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('await new Promise((r) => setTimeout(r, 800)); return Date.now();'), threads: 2 });
    const began = Date.now();
    const results = await Promise.all([1, 2, 3].map((i) => pipelines.send(token, String(i))));
    const finished = results.map((r) => (r.text as number[])[0]! - began).sort((a, b) => a - b);
    // Items take 800 ms, so the margins are wide enough for a loaded CI machine.
    expect(finished[1]! - finished[0]!).toBeLessThan(400); // two together
    expect(finished[2]! - finished[1]!).toBeGreaterThan(400); // the third after a slot was free
    expect((await statusOf(sidex, token)).threads).toBe(2);
    await pipelines.terminate(token);
  });
});

describe("results and the runtime's channel (64 MB a message)", () => {
  it('results of one turn too long together arrive each alone; a result too long alone fails its item only, and the task goes on', async () => {
    // Three items of 25 MB results, released in the same turn: one message of them would be 75 MB.
    const code = `
      const s = ctx.state;
      s.go ??= new Promise((r) => (s.release = r));
      if (input === 'huge') return 'h'.repeat(70 * 1024 * 1024);
      s.n = (s.n ?? 0) + 1;
      if (s.n === 3) s.release();
      await s.go;
      return input + ':' + 'x'.repeat(25 * 1024 * 1024);`;
    const { token } = await pipelines.use({ pipeline: codeChain(code), threads: 3 });
    try {
      const results = await Promise.all(['a', 'b', 'c'].map((i) => pipelines.send(token, i)));
      expect(results.map((r) => { const t = (r.text as string[])[0]!; return [t.slice(0, 2), t.length]; })).toEqual(['a:', 'b:', 'c:'].map((p) => [p, 2 + 25 * 1024 * 1024 + 2]));
      const err = await rejection(pipelines.send(token, 'huge'));
      expect(err.code).toBe('ITEM_FAILED');
      expect(err.message).toMatch(/cannot be sent: message is \d+ bytes on the channel to sidex; at most 67108864 cross it/);
      expect(await pipelines.send(token, 'after')).toMatchObject({ text: [expect.stringMatching(/^after:x/)] });
    } finally {
      await pipelines.terminate(token);
    }
  }, 60_000);
});

describe('failures', () => {
  it('a component that throws fails its item (with the component named), the task goes on', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('if (input === "bad") throw new Error("no bad input"); return input;') });
    const err = await rejection(pipelines.send(token, 'bad', { name: 'item-7' }));
    expect(err.code).toBe('ITEM_FAILED');
    expect(err.message).toMatch(/failed: component "code_1" failed: no bad input/);
    expect(err.details).toMatchObject({ component: 'code_1', token });
    expect(await pipelines.send(token, 'good')).toMatchObject({ text: ['good\n\n'] });
    const status = await statusOf(sidex, token);
    expect(status).toMatchObject({ state: TaskState.RUNNING, completedCount: 1, failedCount: 1, totalCount: 2 });
    expect(status.errors).toEqual(['item-7: component "code_1" failed: no bad input']);
    await pipelines.terminate(token);
  });

  it('a task whose process dies ends COMPLETED with its exit code, and its item failed', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('process.exit(3)') });
    const err = await rejection(pipelines.send(token, 'x'));
    expect(err.code).toBe('ITEM_FAILED');
    expect(err.message).toMatch(/the task process ended: process exited with code 3/);
    const status = await untilStatus(sidex, token, (s) => s.completed);
    expect(status).toMatchObject({ state: TaskState.COMPLETED, status: 'Completed', exitCode: 3, failedCount: 1 });
    expect(status.exitMessage).toMatch(/exited with code 3/);
    expect(await rejection(pipelines.terminate(token))).toMatchObject({ code: 'TASK_TERMINATED', details: { state: TaskState.COMPLETED } });
  });

  it('a component that cannot be built fails use() with the reason, and leaves no task', async () => {
    const err = await rejection(pipelines.use({ pipeline: codeChain('return input'), token: 'tk_fails', env: { ROCKETRIDE_X: '1' } }).then(async () => {
      await pipelines.terminate('tk_fails');
      // a block whose module throws on load cannot be built:
      const broken = path.join(project, '.codebolt', 'actionblocks', 'broken');
      fs.mkdirSync(broken, { recursive: true });
      fs.writeFileSync(path.join(broken, 'actionblock.yml'), 'name: broken\nentryPoint: index.mjs\n');
      fs.writeFileSync(path.join(broken, 'index.mjs'), 'throw new Error("cannot load me");');
      return pipelines.use({ pipeline: { components: [webhook, { id: 'b', provider: 'actionblock', config: { name: 'broken' }, input: reads('webhook_1') }, { id: 'r', provider: 'response', input: reads('b') }] } });
    }));
    expect(err.code).toBe('TASK_START_FAILED');
    expect(err.message).toMatch(/cannot load me/);
    expect((await pipelines.getTasks()).tasks).toEqual([]);
  });
});

describe('status and events', () => {
  it('apaevt_task begin/end, apaevt_status_update on every state change and at most once a second, output, apaevt_flow', async () => {
    const events: PipelineEvent[] = [];
    const received = new Map<PipelineEvent, number>();
    const stop = await pipelines.monitor({ token: '*', types: ['TASK', 'SUMMARY', 'OUTPUT', 'FLOW'] }, (e) => {
      events.push(e);
      received.set(e, Date.now());
    });
    expect(events.map((e) => [e.event, e.body.action])).toEqual([['apaevt_task', 'running']]);
    const { token } = await pipelines.use({ pipeline: codeChain('ctx.log("saw", input); return input;'), threads: 4 });
    const mine = () => events.filter((e) => e.token === token);
    const began = Date.now();
    await Promise.all(Array.from({ length: 200 }, (_, i) => pipelines.send(token, `item ${i}`)));
    await sleep(Math.max(0, 1300 - (Date.now() - began)));
    await pipelines.terminate(token);
    stop();

    const updates = mine().filter((e) => e.event === 'apaevt_status_update');
    const states = updates.map((e) => e.body.state);
    expect(states.slice(0, 3)).toEqual([TaskState.STARTING, TaskState.INITIALIZING, TaskState.RUNNING]);
    expect(states.slice(-2)).toEqual([TaskState.STOPPING, TaskState.CANCELLED]);
    // While RUNNING: the change itself, then the counts at most once a second (200 items took over a second).
    const running = updates.filter((e) => e.body.state === TaskState.RUNNING).map((e) => received.get(e)!);
    expect(running.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < running.length; i++) expect(running[i]! - running[i - 1]!).toBeGreaterThanOrEqual(950);
    expect(mine().filter((e) => e.event === 'apaevt_task').map((e) => e.body.action)).toEqual(['begin', 'end']);
    const output = mine().filter((e) => e.event === 'output').map((e) => e.body.output).join('');
    expect(output).toContain('saw item 199');
    expect(mine().filter((e) => e.event === 'output')[0]!.body.category).toBe('stdout');
    const flows = mine().filter((e) => e.event === 'apaevt_flow');
    expect(flows.filter((e) => e.body.op === 'begin')).toHaveLength(200);
    expect(flows.find((e) => e.body.op === 'end')?.body.result).toMatchObject({ result_types: { text: 'text' } });
    const last = mine().filter((e) => e.event === 'apaevt_status_update').at(-1)!.body;
    expect(last).toMatchObject({ completedCount: 200, status: 'Stopped', completed: true });
  });

  it('a monitor on one task gets its current status at once, and only its events', async () => {
    const a = await pipelines.use({ pipeline: codeChain('return input') });
    const b = await pipelines.use({ pipeline: codeChain('return input') });
    const events: PipelineEvent[] = [];
    const stop = await pipelines.monitor({ token: a.token, types: ['SUMMARY'] }, (e) => events.push(e));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ token: a.token, event: 'apaevt_status_update', body: { state: TaskState.RUNNING, token: a.token } });
    await pipelines.send(b.token, 'x');
    await pipelines.terminate(b.token);
    expect(events.every((e) => e.token === a.token)).toBe(true);
    const none: PipelineEvent[] = [];
    const off = await pipelines.monitor({ token: a.token, types: [] }, (e) => none.push(e)); // how RocketRide clients unsubscribe
    await pipelines.send(a.token, 'y');
    off();
    expect(none).toEqual([]);
    expect((await pipelines.getTasks()).tasks.map((t) => t.token)).toEqual([a.token]);
    stop();
    await pipelines.terminate(a.token);
  });

  it('the status fields of §3, in unix seconds', async () => {
    const { token, id } = await pipelines.use({ pipeline: { ...codeChain('return input'), project_id: 'proj-1', name: 'my pipe' } });
    await pipelines.send(token, 'four');
    const status = await statusOf(sidex, token);
    expect(status).toMatchObject({
      name: 'my pipe', project_id: 'proj-1', source: 'webhook_1', completed: false, state: TaskState.RUNNING, status: 'Running',
      endTime: 0, errors: [], warnings: [], totalCount: 1, totalSize: 4, completedCount: 1, completedSize: 4,
      failedCount: 0, exitCode: 0, exitMessage: '', serviceUp: true, token, id,
    });
    expect(Math.abs(status.startTime - Date.now() / 1000)).toBeLessThan(30);
    await pipelines.terminate(token);
    expect((await statusOf(sidex, token)).endTime).toBeGreaterThanOrEqual(status.startTime);
  });
});

describe('idle TTL', () => {
  it('an idle task ends by itself (COMPLETED) once ttl seconds pass without activity', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('return input'), ttl: 1 });
    await pipelines.send(token, 'x');
    const status = await untilStatus(sidex, token, (s) => s.completed, 5000);
    expect(status).toMatchObject({ state: TaskState.COMPLETED, status: 'Completed', exitCode: 0, completedCount: 1 });
    expect(status.exitMessage).toMatch(/idle for 1 s: the task's ttl expired/);
    expect((await sidex.engine.get(status.id))?.status).toBe('completed');
  });

  it('an item in progress is activity: a 1.5 s item does not let a 1 s ttl expire; ttl 0 never expires', async () => {
    // `never` starts first: a slow start of it (a loaded machine) must not eat busy's 1 s before its item is sent.
    const never = await pipelines.use({ pipeline: codeChain('return input'), ttl: 0 });
    const busy = await pipelines.use({ pipeline: codeChain('await new Promise((r) => setTimeout(r, 1500)); return input;'), ttl: 1 });
    expect(await pipelines.send(busy.token, 'slow')).toMatchObject({ text: ['slow\n\n'] });
    expect((await statusOf(sidex, busy.token)).state).toBe(TaskState.RUNNING);
    await sleep(700);
    expect((await statusOf(sidex, never.token)).state).toBe(TaskState.RUNNING);
    await Promise.all([pipelines.terminate(busy.token).catch(() => {}), pipelines.terminate(never.token)]);
  });
});

describe('after the end, from the store', () => {
  it('another sidex on the same store reads the final status of a task it never ran', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('return input') });
    await pipelines.send(token, 'x');
    await pipelines.terminate(token);
    const other = new Sidex({ dataDir: otherDataDir, store, engine: { poolSize: 0 } });
    try {
      expect(await other.pipelines.getTaskStatus(token)).toEqual(await statusOf(sidex, token));
      expect(await other.pipelines.getTaskStatus(token)).toMatchObject({ state: TaskState.CANCELLED, status: 'Stopped', completedCount: 1 });
      expect((await rejection(other.pipelines.terminate(token))).code).toBe('TASK_TERMINATED');
      expect((await rejection(other.pipelines.send(token, 'x'))).code).toBe('TASK_NOT_RUNNING');
      expect((await rejection(other.pipelines.getTaskStatus('tk_unknown'))).code).toBe('TASK_NOT_FOUND');
    } finally {
      await other.close();
    }
  });
});

describe('use options', () => {
  it('a token of the caller; useExisting gives the running task; a second use of a running token is refused', async () => {
    const first = await pipelines.use({ pipeline: codeChain('return input'), token: 'TEST-mine-1' });
    expect(first.token).toBe('TEST-mine-1');
    expect(await pipelines.use({ pipeline: codeChain('return input'), token: 'TEST-mine-1', useExisting: true })).toEqual(first);
    expect((await rejection(pipelines.use({ pipeline: codeChain('return input'), token: 'TEST-mine-1' }))).code).toBe('TASK_EXISTS');
    await pipelines.terminate(first.token);
  });

  it('restart ends the task and starts its pipeline again under the same token', async () => {
    const first = await pipelines.use({ pipeline: codeChain('return input') });
    const second = await pipelines.restart({ token: first.token, pipeline: codeChain('return input + "!"') });
    expect(second.token).toBe(first.token);
    expect(second.id).not.toBe(first.id);
    expect((await sidex.engine.get(first.id))?.status).toBe('stopped');
    expect(await pipelines.send(first.token, 'again')).toMatchObject({ text: ['again!\n\n'] });
    expect((await rejection(pipelines.restart({ token: first.token, pipeline: { components: [] } }))).code).toBe('INVALID_PIPELINE');
    expect((await statusOf(sidex, first.token)).state).toBe(TaskState.RUNNING); // an invalid pipeline changed nothing
    await pipelines.terminate(first.token);
  });
});

describe('bad input: a clear error (what, where, code) that changes nothing', () => {
  it('each call refuses what it cannot take', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('return input') });
    await pipelines.send(token, 'x');
    const before = await statusOf(sidex, token);
    const cases: Array<[Promise<unknown>, string, RegExp]> = [
      [pipelines.use({ pipeline: codeChain('return input'), threads: 0 }), 'INVALID_THREADS', /^threads: must be at least 1/],
      [pipelines.use({ pipeline: codeChain('return input'), threads: 100_000 }), 'INVALID_THREADS', /^threads: must be at most 256/],
      [pipelines.use({ pipeline: codeChain('return input'), ttl: -1 }), 'INVALID_TTL', /^ttl: must not be negative/],
      [pipelines.use({ pipeline: codeChain('return input'), token: 'has space' }), 'INVALID_TOKEN', /^token: may hold only/],
      [pipelines.use({ pipeline: codeChain('return input'), colour: 'red' }), 'INVALID_ARGUMENT', /colour/],
      [pipelines.use({}), 'INVALID_PIPELINE', /^pipeline: is required/],
      [pipelines.use('not an object'), 'INVALID_ARGUMENT', /\(input\)/],
      [pipelines.open({ token: 'tk_none' }), 'TASK_NOT_FOUND', /no task with token "tk_none"/],
      [pipelines.open({ token, object: 'x' }), 'INVALID_ARGUMENT', /^object: must be an object/],
      [pipelines.write({ token, pipe_id: 99, data: 'x' }), 'PIPE_NOT_FOUND', /^pipe_id: task ".*" has no open pipe 99/],
      [pipelines.write({ token, pipe_id: 1.5, data: 'x' }), 'INVALID_PIPE_ID', /^pipe_id: must be a whole number/],
      [pipelines.write({ token, pipe_id: 1, data: 42 }), 'INVALID_DATA', /^data: must be bytes/],
      [pipelines.close({ token, pipe_id: 7 }), 'PIPE_NOT_FOUND', /pipe 7/],
      [pipelines.process({ subcommand: 'flush', token }), 'INVALID_ARGUMENT', /^subcommand: must be one of open, write, close/],
      [pipelines.send(token, 'x'.repeat(17 * 1024 * 1024)), 'ITEM_TOO_LARGE', /^data: \d+ bytes exceeds the limit/],
      [pipelines.monitor({ token, types: -4 }, () => {}), 'INVALID_EVENT_TYPES', /^types: must not be negative/],
      [pipelines.monitor({ token, types: 'summary' }, () => {}), 'INVALID_EVENT_TYPES', /^types: must be event type names or an EVENT_TYPE bitmask/],
      [pipelines.monitor({ types: ['SUMMARY'] }, () => {}), 'INVALID_TOKEN', /^token: is required: give the task token \(or '\*'\), or both projectId and source/],
      [pipelines.monitor({ projectId: 'p' , types: ['SUMMARY'] }, () => {}), 'INVALID_ARGUMENT', /^source: is required/],
      [pipelines.monitor({ token, projectId: 'p', source: 's', types: ['SUMMARY'] }, () => {}), 'INVALID_TOKEN', /^token: give either token or projectId and source, not both/],
      [pipelines.monitor({ token: 'tk_none', types: ['SUMMARY'] }, () => {}), 'TASK_NOT_FOUND', /tk_none/],
      [pipelines.getTaskStatus(42), 'INVALID_ARGUMENT', /\(input\)/],
      [pipelines.restart({}), 'INVALID_TOKEN', /^token: give the token of the task to restart, or its projectId and source/],
      [pipelines.restart({ token: 'tk_none' }), 'TASK_NOT_FOUND', /no running task with token "tk_none"/],
    ];
    for (const [call, code, message] of cases) {
      const err = await rejection(call);
      expect({ code: err.code, message: err.message }).toEqual({ code, message: expect.stringMatching(message) });
    }
    expect(await statusOf(sidex, token)).toEqual(before);
    expect((await pipelines.getTasks()).tasks.map((t) => t.token)).toEqual([token]);
    await pipelines.terminate(token);
  });

  it('an abandoned pipe is cancelled and frees its slot; a closed pipe takes no more writes', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('return input') });
    const { pipe_id } = await pipelines.open({ token });
    expect(await pipelines.abandon({ token, pipe_id })).toEqual({});
    expect((await rejection(pipelines.close({ token, pipe_id }))).message).toMatch(/was cancelled: the client went away before closing it/);
    expect(await pipelines.send(token, 'next')).toMatchObject({ text: ['next\n\n'] }); // threads 1: the slot came back
    const open = await pipelines.open({ token });
    const closing = pipelines.close({ token, ...open });
    expect((await rejection(pipelines.write({ token, ...open, data: 'late' }))).code).toBe('PIPE_CLOSED');
    await closing;
    expect(await statusOf(sidex, token)).toMatchObject({ totalCount: 3, completedCount: 2, cancelledCount: 1 });
    await pipelines.terminate(token);
  });

  it('rrext_process dispatches open, write and close by subcommand', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('return input') });
    const opened = (await pipelines.process({ subcommand: 'open', token, object: { name: 'p' }, mimeType: 'text/plain' })) as { pipe_id: number };
    expect(await pipelines.process({ subcommand: 'write', token, pipe_id: opened.pipe_id, data: new Uint8Array([104, 105]) })).toEqual({});
    expect(await pipelines.process({ subcommand: 'close', token, pipe_id: opened.pipe_id })).toMatchObject({ name: 'p', text: ['hi\n\n'] });
    await pipelines.terminate(token);
  });
});
