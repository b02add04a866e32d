// PipelineClient (RocketRide's client API) against a real `sidex serve`:
// connect, use, send, pipes, status, monitors and events, terminate, disconnect.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PipelineClient, PipelineError, TaskState, type DapMessage } from '../dist/index.js';
import { codeChain, drainedTwoRefusedOne, takes } from '../../sidex/test/fixtures/pipelines.js';
import { foreverWithChild, ownedDir } from '../../sidex/test/helpers/pipelines.js';
import { freePort, spawnServer, startTestServer, stopAndRemove } from '../../sidex/test/helpers/server.js';
import { eventually } from '../../sidex/test/helpers/sidex.js';

const server = await startTestServer();
const clients: PipelineClient[] = [];
function client(config: ConstructorParameters<typeof PipelineClient>[0] = {}): PipelineClient {
  const c = new PipelineClient({ uri: server.url, auth: server.apiKey, env: {}, ...config });
  clients.push(c);
  return c;
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.disconnect()));
});

const sdk = client();
await sdk.connect();

async function failure(promise: Promise<unknown>): Promise<PipelineError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as PipelineError;
  }
  throw new Error('expected a rejection');
}

describe('connect and disconnect', () => {
  it('connect authenticates and answers who the server took the client for; a wrong key is refused', async () => {
    const c = client();
    const who = await c.connect();
    expect(who).toMatchObject({ userId: expect.any(String), server: { name: 'sidex' } });
    expect(c.isConnected()).toBe(true);
    await c.ping();
    await c.disconnect();
    expect(c.isConnected()).toBe(false);
    expect((await failure(c.ping())).code).toBe('NOT_CONNECTED');

    const wrong = client({ auth: 'not-the-key-at-all' });
    const err = await failure(wrong.connect());
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toMatch(/not valid/);
    expect(wrong.isConnected()).toBe(false);
  });

  it('reads ROCKETRIDE_URI and ROCKETRIDE_APIKEY (the key wins over the constructor\'s auth, as in RocketRide)', async () => {
    const c = new PipelineClient({ auth: 'your-api-key', env: { ROCKETRIDE_URI: server.url.replace('http://', ''), ROCKETRIDE_APIKEY: server.apiKey } });
    clients.push(c);
    await c.connect();
    expect(c.getConnectionInfo().uri).toBe(`${server.url.replace('http', 'ws')}/task/service`);
    await c.disconnect();
  });

  it('requests in flight when the client disconnects reject', async () => {
    const c = client();
    await c.connect();
    const { token } = await c.use({ pipeline: codeChain(takes(2000)) });
    const pending = failure(c.send(token, 'x', {}, 'text/plain'));
    await eventually(async () => (await sdk.getTaskStatus(token)).inProgressCount === 1);
    await c.disconnect();
    expect((await pending).code).toBe('CLOSED');
    await sdk.terminate(token, { drainMs: 0 });
  });
});

describe('persist', () => {
  it('reconnects after the server restarts and subscribes its monitors again', async () => {
    const port = await freePort();
    const first = await spawnServer({ args: ['--port', String(port)] });
    const events: DapMessage[] = [];
    let connects = 0;
    let losses = 0;
    const c = client({ uri: first.url, auth: first.apiKey, persist: true, onEvent: (e) => void events.push(e), onConnected: () => void connects++, onDisconnected: () => void losses++ });
    try {
      await c.connect();
      await c.addMonitor({ token: '*' }, ['TASK']);
      await first.stop();
      expect(await eventually(() => losses === 1 && !c.isConnected())).toBe(true);
      const second = await spawnServer({ args: ['--port', String(port), '--data-dir', first.dataDir] });
      try {
        expect(await eventually(() => connects === 2, 10_000)).toBe(true); // onConnected runs once the monitors are subscribed again
        expect(c.isConnected()).toBe(true);
        const { token } = await c.use({ pipeline: codeChain('return input') });
        expect(await eventually(() => events.some((e) => e.event === 'apaevt_task' && e.body.action === 'begin' && e.body.token === token))).toBe(true);
        await c.terminate(token);
      } finally {
        await c.disconnect();
        await stopAndRemove(second);
      }
    } finally {
      await stopAndRemove(first);
    }
  });
});

describe('use, send, pipe, status', () => {
  it('use({pipeline, threads, ttl}) answers {token, ...}; send answers the result; pipe().open/write/close streams one item', async () => {
    const result = await sdk.use({ pipeline: codeChain('return input.toUpperCase()'), threads: 4, ttl: 60 });
    expect(result).toMatchObject({ token: expect.stringMatching(/^tk_/), id: expect.stringMatching(/^task_/), source: 'webhook_1' });
    expect(await sdk.send(result.token, 'hello', {}, 'text/plain')).toMatchObject({ text: ['HELLO\n\n'], result_types: { text: 'text' } });
    expect(await sdk.send(result.token, new TextEncoder().encode('bytes'), { name: 'b.bin' }, 'text/plain')).toMatchObject({ name: 'b.bin', text: ['BYTES\n\n'] });

    const pipe = await sdk.pipe(result.token, { name: 'streamed.txt' }, 'text/plain');
    await pipe.open();
    expect(pipe.pipeId).toEqual(expect.any(Number));
    await pipe.write(new TextEncoder().encode('one, '));
    await pipe.write(new TextEncoder().encode('two'));
    expect(await pipe.close()).toMatchObject({ name: 'streamed.txt', text: ['ONE, \n\nTWO\n\n'] }); // each write, a text (RocketRide's rule)
    expect(await pipe.close()).toBeUndefined();

    const status = await sdk.getTaskStatus(result.token);
    expect(status).toMatchObject({ state: TaskState.RUNNING, status: 'Running', threads: 4, totalCount: 3, completedCount: 3 });
    expect((await sdk.getTasks()).map((t) => t.token)).toContain(result.token);
    await sdk.terminate(result.token);
  });

  it('use({filepath}) reads the file and unwraps {pipeline: {...}}; validate answers without starting', async () => {
    const dir = ownedDir('sidex-sdk-pipe-');
    const file = path.join(dir, 'shout.pipe.json');
    fs.writeFileSync(file, JSON.stringify({ pipeline: codeChain('return input + "!"') }));
    const { token, name } = await sdk.use({ filepath: file });
    expect(name).toBe('shout');
    expect(await sdk.send(token, 'hi', {}, 'text/plain')).toMatchObject({ text: ['hi!\n\n'] });
    await sdk.terminate(token);
    expect(await sdk.validate({ pipeline: codeChain('return (') })).toMatchObject({ valid: false });
    const err = await failure(sdk.use({ pipeline: { components: [{ id: 'a', provider: 'nope', config: { mode: 'Source' } }] } }));
    expect(err).toMatchObject({ code: 'UNSUPPORTED_COMPONENTS', command: 'execute' });
  });

  it('a write that fails gives the item up: its thread is free for the next', async () => {
    const { token } = await sdk.use({ pipeline: codeChain('return input'), threads: 1 });
    const pipe = await sdk.pipe(token);
    await pipe.open();
    await pipe.abandon();
    expect(await sdk.send(token, 'next', {}, 'text/plain')).toMatchObject({ text: ['next\n\n'] });
    expect(await sdk.getTaskStatus(token)).toMatchObject({ cancelledCount: 1, completedCount: 1 });
    await sdk.terminate(token);
  });
});

describe('monitors and events', () => {
  it('addMonitor subscribes; onEvent gets status updates, task events and output; removeMonitor ends them', async () => {
    const events: DapMessage[] = [];
    const watcher = client({ onEvent: (e) => void events.push(e) });
    await watcher.connect();
    const { token } = await sdk.use({ pipeline: codeChain('console.log("got", input); return input') });
    await watcher.addMonitor({ token }, ['summary', 'output']);
    await watcher.addMonitor({ token: '*' }, ['TASK']);
    expect(await eventually(() => events.some((e) => e.event === 'apaevt_status_update' && e.body.token === token))).toBe(true);
    expect(events.some((e) => e.event === 'apaevt_task' && e.body.action === 'running')).toBe(true);
    await sdk.send(token, 'x', {}, 'text/plain');
    expect(await eventually(() => events.some((e) => e.event === 'output' && /got x/.test(e.body.output)))).toBe(true);

    await watcher.removeMonitor({ token }, ['summary', 'output']);
    const seen = events.length;
    await sdk.send(token, 'y', {}, 'text/plain');
    await new Promise((r) => setTimeout(r, 300));
    expect(events.slice(seen).filter((e) => e.event === 'output')).toEqual([]);
    await sdk.terminate(token);
    expect(await eventually(() => events.some((e) => e.event === 'apaevt_task' && e.body.action === 'end'))).toBe(true);
  });
});

describe('terminate through the SDK', () => {
  const slowWhenAsked = 'if (input === "slow") await new Promise((r) => setTimeout(r, 2000)); return input;';

  it('an item taking 2 s completes, a send during the drain is refused, the final status is CANCELLED / Stopped with exact counts', async () => {
    const { token } = await sdk.use({ pipeline: codeChain(slowWhenAsked), threads: 2 });
    expect(await sdk.send(token, 'fast', {}, 'text/plain')).toMatchObject({ text: ['fast\n\n'] });
    const slow = sdk.send(token, 'slow', {}, 'text/plain');
    await eventually(async () => (await sdk.getTaskStatus(token)).inProgressCount === 1);
    const other = client();
    await other.connect();
    const terminated = other.terminate(token);
    await eventually(async () => (await sdk.getTaskStatus(token)).state === TaskState.STOPPING);
    const late = await failure(sdk.send(token, 'late', {}, 'text/plain'));
    expect(late.code).toBe('TASK_TERMINATING');
    expect(late.message).toMatch(/^task is terminating/);
    expect(await slow).toMatchObject({ text: ['slow\n\n'] });
    await terminated;
    expect(await sdk.getTaskStatus(token)).toMatchObject(drainedTwoRefusedOne);
  });

  it('a 100 ms drain on an item that never ends: the item is cancelled and no process is left', async () => {
    const { code, processes, alive } = foreverWithChild();
    const { token } = await sdk.use({ pipeline: codeChain(code), drainMs: 100 });
    const item = failure(sdk.send(token, 'x', {}, 'text/plain'));
    const pids = await processes();
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await sdk.terminate(token);
    expect((await item).code).toBe('ITEM_CANCELLED');
    expect(await sdk.getTaskStatus(token)).toMatchObject({ state: TaskState.CANCELLED, cancelledCount: 1, completedCount: 0 });
    expect(alive()).toEqual([]);
  });

  it('two terminates at once share the end; one after the end rejects with TASK_TERMINATED; an unknown token rejects', async () => {
    const { token } = await sdk.use({ pipeline: codeChain('return input') });
    await Promise.all([sdk.terminate(token), sdk.terminate(token)]);
    const again = await failure(sdk.terminate(token));
    expect(again).toBeInstanceOf(Error);
    expect(again).toMatchObject({ code: 'TASK_TERMINATED', command: 'terminate' });
    expect(again.message).toMatch(/is not running: it has already ended \(Stopped/);
    const err = await failure(sdk.terminate('tk_unknown_one'));
    expect(err).toMatchObject({ code: 'TASK_NOT_FOUND', command: 'terminate', message: 'no task with token "tk_unknown_one"' });
  });
});
