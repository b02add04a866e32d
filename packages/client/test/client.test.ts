// @sidex/client against a real `sidex serve`: matching, timeouts, reconnection, helpers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SidexClient, SidexClientError, TERMINAL_STATUSES, type ExecutionEvent } from '../dist/index.js';
import { writeTestBlocks } from '../../sidex/test/fixtures/blocks.js';
import { RawSocket } from '../../sidex/test/helpers/raw-ws.js';
import { freePort, spawnServer, startTestServer, stopAndRemove } from '../../sidex/test/helpers/server.js';
import { eventually, sleep } from '../../sidex/test/helpers/sidex.js';
import { runProgram } from './helpers/run-program.js';

const server = await startTestServer({ project: writeTestBlocks });
const clients: SidexClient[] = [];
function client(options: Partial<ConstructorParameters<typeof SidexClient>[0]> = {}): SidexClient {
  const c = new SidexClient({ url: server.url, apiKey: server.apiKey, ...options });
  clients.push(c);
  return c;
}
afterAll(() => clients.forEach((c) => c.close()));

const sdk = client();
await sdk.waitForReady();

async function startLong(c = sdk): Promise<string> {
  const reply = await c.sideExecution.startWithCode("console.log('ready'); await new Promise(r => setTimeout(r, 600000))");
  if (!reply.success) throw new Error(reply.error);
  return reply.sideExecutionId;
}

describe('one connection, many requests', () => {
  it('100 concurrent requests on one connection each get their own reply', async () => {
    const ids = await Promise.all([0, 1, 2, 3, 4].map(() => sdk.sideExecution.startWithCode('return 1')));
    const real = ids.map((r) => (r.success ? r.sideExecutionId : ''));
    const asked = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? real[i % 5]! : `side_${i}_0000000${i % 10}`));
    const replies = await Promise.all(
      asked.map((id, i) => (i % 10 === 9 ? sdk.sideExecution.listActionBlocks().then((r) => ({ list: r })) : sdk.sideExecution.getStatus(id))),
    );
    replies.forEach((reply, i) => {
      if (i % 10 === 9) {
        expect((reply as { list: { type: string } }).list.type).toBe('listActionBlocksResponse');
        return;
      }
      if ('list' in reply) throw new Error(`reply ${i} is a listing`);
      expect(reply.type).toBe('getSideExecutionStatusResponse');
      expect(reply.success ? reply.sideExecutionId : reply.data.sideExecutionId).toBe(asked[i]);
      expect(reply.success).toBe(i % 2 === 0);
    });
  });

  it('waitForConnection is waitForReady', async () => {
    await expect(client().waitForConnection()).resolves.toBeUndefined();
  });
});

describe('failures of the connection', () => {
  it('a request without a reply in time rejects with TIMEOUT; the client stays usable', async () => {
    const impatient = client({ requestTimeoutMs: 300 });
    const began = Date.now();
    const err = await impatient.actionBlock.start('worker', { durationMs: 3000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SidexClientError);
    expect((err as SidexClientError).code).toBe('TIMEOUT');
    expect(Date.now() - began).toBeLessThan(2000);
    expect((await impatient.sideExecution.listActionBlocks()).success).toBe(true);
  });

  it('a wrong key rejects waitForReady with UNAUTHORIZED; no server, at once with CONNECTION_REFUSED; no key, saying none was given', async () => {
    const refused = client({ apiKey: 'wrong-key-wrong-key' });
    await expect(refused.waitForReady()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(refused.sideExecution.getStatus('x')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const keyless = client({ apiKey: undefined });
    await expect(keyless.waitForReady()).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('none was given') });
    const nowhere = client({ url: 'http://127.0.0.1:1', connectTimeoutMs: 10_000 });
    const began = Date.now();
    await expect(nowhere.waitForReady()).rejects.toMatchObject({ code: 'CONNECTION_REFUSED', message: expect.stringContaining('nothing is listening at') });
    expect(Date.now() - began).toBeLessThan(2000);
  });

  it('a client that disconnects mid-request does not affect the others', async () => {
    const leaving = client();
    await leaving.waitForReady();
    const pending = leaving.actionBlock.start('worker', { durationMs: 1500 });
    const raw = await RawSocket.open(server.wsUrl, server.apiKey);
    const victim = await startLong();
    raw.send({ type: 'sideExecution', action: 'stopSideExecution', sideExecutionId: victim, requestId: 'gone' });
    await sleep(30);
    leaving.close();
    raw.ws.terminate(); // abrupt: no close frame
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    const replies = await Promise.all(Array.from({ length: 50 }, () => sdk.sideExecution.getStatus(victim)));
    expect(replies.every((r) => r.success)).toBe(true);
    // What the departed clients asked for still happens.
    expect((await sdk.wait(victim)).data.status).toBe('stopped');
    const workerEnded = async () => {
      const list = await sdk.sideExecution.list({ name: 'worker', limit: 1 });
      const status = list.success ? list.executions[0]?.status : undefined;
      return status !== undefined && TERMINAL_STATUSES.includes(status);
    };
    expect(await eventually(workerEnded, 10_000)).toBe(true);
    const blocks = await sdk.sideExecution.list({ name: 'worker', limit: 5 });
    expect(blocks.success && blocks.executions[0]!.status).toBe('completed');
  });
});

describe('reconnection', () => {
  it('reconnects with backoff after a restart; in-flight requests reject with CONNECTION_LOST, later ones succeed', async () => {
    const port = await freePort();
    const first = await spawnServer({ args: ['--port', String(port)], project: writeTestBlocks });
    try {
      const c = client({ url: first.url, apiKey: first.apiKey, reconnectInitialMs: 50, reconnectMaxMs: 400 });
      await c.waitForReady();
      const inFlight = c.actionBlock.start('worker', { durationMs: 10_000 });
      const arrived = async () => {
        const list = await c.sideExecution.list({ name: 'worker', limit: 1 });
        return list.success && list.executions.length > 0;
      };
      expect(await eventually(arrived)).toBe(true);
      first.child.kill('SIGKILL');
      await expect(inFlight).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
      const queued = c.sideExecution.listActionBlocks(); // asked while the server is down
      await sleep(500);
      const second = await spawnServer({ args: ['--port', String(port), '--data-dir', first.dataDir], project: writeTestBlocks });
      try {
        const reply = await queued;
        expect(reply.success).toBe(true);
        expect(c.connected).toBe(true);
        expect((await c.sideExecution.startWithCode('return 3')).success).toBe(true);
      } finally {
        await stopAndRemove(second);
      }
    } finally {
      await stopAndRemove(first);
    }
  });
});

describe('helpers', () => {
  it('sideExecution.list filters by type and text; counts() counts by status', async () => {
    const started = await sdk.sideExecution.startWithCode('return 1', {}, undefined, { name: 'sdk-listed' });
    if (!started.success) throw new Error(started.error);
    await sdk.wait(started.sideExecutionId);
    const listed = await sdk.sideExecution.list({ q: 'SDK-LISTED', type: 'side' });
    expect(listed.success && listed.executions.map((e) => e.sideExecutionId)).toEqual([started.sideExecutionId]);
    const history = await sdk.sideExecution.events(started.sideExecutionId);
    expect(history.success && history.events.at(-1)?.data).toMatchObject({ status: 'completed' });
    const counts = await sdk.sideExecution.counts();
    expect(counts.success && counts.counts.completed).toBeGreaterThanOrEqual(1);
  });

  it('wait() resolves with the final status', async () => {
    const started = await sdk.sideExecution.startWithCode('await new Promise(r => setTimeout(r, 300)); return "waited"');
    if (!started.success) throw new Error(started.error);
    const done = await sdk.wait(started.sideExecutionId);
    expect(done).toMatchObject({ success: true, status: 'completed', result: 'waited' });
    expect(await sdk.wait('side_1_00000000')).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
  });

  it('wait() resolves when the end was among events the server dropped (a grandchild flooding output faster than the client reads)', async () => {
    const c = client();
    // The flood begins once wait() has subscribed; 1 GB of NUL bytes, each 6 bytes of JSON in an output event, under a 10 MB limit.
    const flood = "await new Promise((r) => setTimeout(r, 500)); require('node:child_process').spawn('head', ['-c', '1000000000', '/dev/zero'], { stdio: ['ignore', 'inherit', 'inherit'] }); await new Promise(() => {});";
    const started = await c.sideExecution.startWithCode(flood, {}, 60_000, { outputLimitMb: 10 });
    if (!started.success) throw new Error(started.error);
    let dropped = 0;
    const off = c.on('dropped', (notice) => (dropped += notice.count), { sideExecutionId: started.sideExecutionId });
    const done = await Promise.race([c.wait(started.sideExecutionId), sleep(20_000).then(() => 'no answer in 20 s' as const)]);
    off();
    expect(done).toMatchObject({ success: true, status: 'failed', failure: { code: 'OUTPUT_LIMIT' } });
    expect(dropped).toBeGreaterThan(0); // the path under test was taken
  });

  it('on() streams events of one execution until unsubscribed', async () => {
    const events: ExecutionEvent[] = [];
    const started = await sdk.sideExecution.startWithCode('for (let i = 0; i < 5; i++) { console.log("n" + i); await new Promise(r => setTimeout(r, 60)); } return 5');
    if (!started.success) throw new Error(started.error);
    const id = started.sideExecutionId;
    const offOutput = sdk.on('output', (e) => events.push(e), { sideExecutionId: id });
    const offStatus = sdk.on('status', (e) => events.push(e), { sideExecutionId: id });
    await sdk.wait(id);
    offOutput();
    offStatus();
    const output = events.filter((e) => e.event === 'output').map((e) => (e.event === 'output' ? e.data : '')).join('');
    expect(output).toMatch(/n4\n$/);
    expect(events.some((e) => e.event === 'status' && e.status === 'completed')).toBe(true);
  });

  it('a script that only listens stays alive until its listener is removed, then exits by itself', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-listen-'));
    const sdkEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = path.join(dir, 'listen.mjs');
    // Nothing is awaited after the start: only the listener can keep the process up.
    fs.writeFileSync(script, `
      import { SidexClient } from ${JSON.stringify(sdkEntry)};
      const client = new SidexClient({ url: process.env.SIDEX_URL, apiKey: process.env.SIDEX_API_KEY });
      const started = await client.sideExecution.startWithCode("await new Promise((r) => setTimeout(r, 500)); console.log('late')");
      const off = client.on('status', (e) => {
        if (!e.terminal) return;
        console.log('heard', e.status);
        off();
      }, { sideExecutionId: started.sideExecutionId });
    `);
    try {
      const run = await runProgram(script, { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey });
      expect(run.stderr).toBe('');
      expect(run.stdout).toBe('heard completed\n');
      expect(run.code).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on() without an id hears every execution', async () => {
    const seen = new Set<string>();
    const off = sdk.on('status', (e) => seen.add(e.sideExecutionId));
    await sleep(100);
    const a = await sdk.sideExecution.startWithCode('return 1');
    const b = await sdk.sideExecution.startWithCode('return 2');
    const ids = [a, b].map((r) => (r.success ? r.sideExecutionId : ''));
    expect(await eventually(() => ids.every((id) => seen.has(id)))).toBe(true);
    off();
  });

  it('logs() reads the output, and follows it until the end', async () => {
    const started = await sdk.sideExecution.startWithCode('for (let i = 0; i < 3; i++) { console.log("L" + i); console.error("E" + i); await new Promise(r => setTimeout(r, 100)); }');
    if (!started.success) throw new Error(started.error);
    const followed = { stdout: '', stderr: '' };
    for await (const line of sdk.logs(started.sideExecutionId, { follow: true })) followed[line.stream] += line.data;
    expect(followed).toEqual({ stdout: 'L0\nL1\nL2\n', stderr: 'E0\nE1\nE2\n' });
    const again = { stdout: '', stderr: '' };
    for await (const line of sdk.logs(started.sideExecutionId)) again[line.stream] += line.data;
    expect(again).toEqual(followed);
    await expect(async () => {
      for await (const _ of sdk.logs('side_1_00000000')) void _;
    }).rejects.toMatchObject({ code: 'HTTP_ERROR', replyCode: 'EXECUTION_NOT_FOUND' });
  });

  it('actionBlock namespace: list, getDetail, start', async () => {
    expect((await sdk.actionBlock.list('builtin')).success).toBe(true);
    expect(await sdk.actionBlock.getDetail('quick')).toMatchObject({ success: true, actionBlock: { name: 'quick' } });
    expect(await sdk.actionBlock.start('echo', { x: 1 })).toMatchObject({ success: true, result: { x: 1 } });
  });

  it('stop() takes graceMs and force', async () => {
    const id = await startLong();
    expect(await sdk.sideExecution.stop(id, { force: true })).toMatchObject({ success: true, status: 'stopped', forced: true });
  });
});


