// The Codebolt dialect at /codebolt, spoken frame by frame over a raw WebSocket.
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTestBlocks } from './fixtures/blocks.js';
import { RawSocket } from './helpers/raw-ws.js';
import { spawnServer, startTestServer, stopAndRemove } from './helpers/server.js';
import { eventually, sleep, untilEnded } from './helpers/sidex.js';

const server = await startTestServer({ project: writeTestBlocks });
const sockets: RawSocket[] = [];
async function open(key: string | undefined = server.apiKey, via: 'header' | 'query' = 'header'): Promise<RawSocket> {
  const socket = await RawSocket.open(server.wsUrl, key, via);
  sockets.push(socket);
  return socket;
}
afterAll(() => sockets.forEach((s) => s.close()));

const ws = await open();
const se = (action: string, fields: Record<string, unknown> = {}) => ws.request({ type: 'sideExecution', action, ...fields });
const ab = (action: string, fields: Record<string, unknown> = {}) => ws.request({ type: 'actionBlock', action, ...fields });

const ended = (id: string) => untilEnded(async () => (await se('getSideExecutionStatus', { sideExecutionId: id })).status);

async function startRunning(code = "ctx.onStop(() => ({ partial: true })); console.log('ready'); await new Promise(r => setTimeout(r, 600000));") {
  const reply = await se('startSideExecution', { inlineCode: code });
  expect(reply.success).toBe(true);
  return reply.sideExecutionId as string;
}

describe('type sideExecution', () => {
  it('startSideExecution with inlineCode answers once running, fields flat and under data, requestId echoed', async () => {
    ws.send({ type: 'sideExecution', action: 'startSideExecution', inlineCode: 'return params.n * 2', params: { n: 21 }, requestId: 'req-1' });
    const reply = await ws.next((f) => f.requestId === 'req-1');
    expect(reply).toMatchObject({ type: 'startSideExecutionResponse', success: true, requestId: 'req-1' });
    expect(reply.sideExecutionId).toMatch(/^side_\d+_[0-9a-f]{8}$/);
    expect(reply.data.sideExecutionId).toBe(reply.sideExecutionId);
    expect(['running', 'completed']).toContain(reply.data.status);
  });

  it('startSideExecution with actionBlockPath runs the block with params and timeout', async () => {
    const reply = await se('startSideExecution', { actionBlockPath: '.codebolt/actionblocks/quick', params: { a: 1 }, timeout: 10_000 });
    expect(reply.success).toBe(true);
    await ended(reply.sideExecutionId);
    const status = await se('getSideExecutionStatus', { sideExecutionId: reply.sideExecutionId });
    expect(status).toMatchObject({ type: 'getSideExecutionStatusResponse', success: true, status: 'completed', isRuntimeCode: false, name: 'quick' });
    expect(status.result).toEqual({ quick: true, params: { a: 1 } });
  });

  it('startSideExecution refuses both or neither of inlineCode and actionBlockPath, bad code, params and paths', async () => {
    expect(await se('startSideExecution', {})).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
    expect(await se('startSideExecution', { inlineCode: 'return 1', actionBlockPath: 'x' })).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
    expect(await se('startSideExecution', { inlineCode: 'return (' })).toMatchObject({ success: false, code: 'SYNTAX_ERROR' });
    expect(await se('startSideExecution', { inlineCode: 'return 1', params: 'x' })).toMatchObject({ success: false, code: 'INVALID_PARAMS' });
    expect(await se('startSideExecution', { inlineCode: 'return 1', timeout: -5 })).toMatchObject({ success: false, code: 'INVALID_TIMEOUT' });
    expect(await se('startSideExecution', { actionBlockPath: '/etc' })).toMatchObject({ success: false, code: 'PATH_OUTSIDE_ROOTS' });
  });

  it('getSideExecutionStatus gives the Codebolt fields; an unknown id is EXECUTION_NOT_FOUND', async () => {
    const id = await startRunning();
    const sampled = async () => {
      const s = await se('getSideExecutionStatus', { sideExecutionId: id });
      return s.memoryUsage > 0 && String(s.output).includes('ready');
    };
    expect(await eventually(sampled)).toBe(true);
    const status = await se('getSideExecutionStatus', { sideExecutionId: id });
    expect(status).toMatchObject({ success: true, sideExecutionId: id, status: 'running', name: 'inline', isRuntimeCode: true });
    expect(typeof status.startTime).toBe('number');
    expect(status.output).toContain('ready');
    expect(status.memoryUsage).toBeGreaterThan(0);
    expect(status.data.status).toBe('running');
    await se('stopSideExecution', { sideExecutionId: id });
    const missing = await se('getSideExecutionStatus', { sideExecutionId: 'side_1_deadbeef' });
    expect(missing).toMatchObject({ type: 'getSideExecutionStatusResponse', success: false, code: 'EXECUTION_NOT_FOUND' });
    expect(missing.error).toContain('side_1_deadbeef');
  });

  it('stopSideExecution: stopped with stoppedAt, partial result and output; then already_stopped; finished ones fail', async () => {
    const id = await startRunning();
    // Its output must hold "ready" before the stop, as the reply is checked for it.
    expect(await eventually(async () => String((await se('getSideExecutionStatus', { sideExecutionId: id })).output).includes('ready'))).toBe(true);
    const stopped = await se('stopSideExecution', { sideExecutionId: id });
    expect(stopped).toMatchObject({ type: 'stopSideExecutionResponse', success: true, sideExecutionId: id, status: 'stopped', result: { partial: true } });
    expect(stopped.output).toContain('ready');
    expect(typeof stopped.data.stoppedAt).toBe('number');
    expect(await se('stopSideExecution', { sideExecutionId: id })).toMatchObject({ success: true, status: 'already_stopped' });
    const done = await se('startSideExecution', { inlineCode: 'return 1' });
    await ended(done.sideExecutionId);
    expect(await se('stopSideExecution', { sideExecutionId: done.sideExecutionId })).toMatchObject({ success: false, code: 'ALREADY_FINISHED', status: 'completed' });
    expect(await se('stopSideExecution', { sideExecutionId: 'side_1_00000000' })).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
  });

  it('stopSideExecution takes force (a sidex extension)', async () => {
    const id = await startRunning("process.removeAllListeners('SIGTERM'); process.on('SIGTERM', () => {}); process.removeAllListeners('message'); for (;;) {}");
    const began = Date.now();
    const stopped = await se('stopSideExecution', { sideExecutionId: id, force: true });
    expect(stopped).toMatchObject({ success: true, status: 'stopped', forced: true });
    expect(Date.now() - began).toBeLessThan(4000);
  });

  it('listActionBlocks lists project and built-in blocks', async () => {
    const reply = await se('listActionBlocks');
    expect(reply.type).toBe('listActionBlocksResponse');
    const names = (reply.actionBlocks as Array<{ name: string }>).map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(['worker', 'quick', 'memory-intensive', 'echo']));
    expect(reply.data.actionBlocks).toHaveLength(names.length);
    expect(await se('listActionBlocks', { projectPath: 42 })).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
  });

  it('listSideExecutions pages with a cursor (a sidex extension)', async () => {
    const first = await se('listSideExecutions', { filter: { limit: 2 } });
    expect(first.success).toBe(true);
    expect(first.executions).toHaveLength(2);
    const second = await se('listSideExecutions', { filter: { limit: 2, cursor: first.nextCursor } });
    expect(second.executions[0].sideExecutionId).not.toBe(first.executions[1].sideExecutionId);
    expect(await se('listSideExecutions', { filter: { status: 'bogus' } })).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
  });

  it('getSideExecutionEvents gives the history (a sidex extension)', async () => {
    const started = await se('startSideExecution', { inlineCode: 'return 1' });
    const completed = async () => (await se('getSideExecutionStatus', { sideExecutionId: started.sideExecutionId })).status === 'completed';
    expect(await eventually(completed)).toBe(true);
    const reply = await se('getSideExecutionEvents', { sideExecutionId: started.sideExecutionId, after: 3 });
    expect(reply).toMatchObject({ success: true, type: 'getSideExecutionEventsResponse', sideExecutionId: started.sideExecutionId });
    expect(reply.events).toEqual([expect.objectContaining({ seq: 4, type: 'status', data: expect.objectContaining({ status: 'completed' }) })]);
    expect(await se('getSideExecutionEvents', { sideExecutionId: 'side_1_00000000' })).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
  });

  it('countSideExecutions counts by status (a sidex extension)', async () => {
    const reply = await se('countSideExecutions', {});
    expect(reply).toMatchObject({ success: true, type: 'countSideExecutionsResponse' });
    expect(reply.counts.completed + reply.counts.stopped + reply.counts.running).toBeGreaterThan(0);
    expect(reply.data.counts).toEqual(reply.counts);
  });
});

describe('stops of a queued execution (one execution runs at a time)', () => {
  it('50 stops that arrive together all answer stopped, with one outcome; a later stop answers already_stopped', async () => {
    const queueing = await spawnServer({ env: { SIDEX_MAX_CONCURRENT: '1' } });
    try {
      const socket = await RawSocket.open(queueing.wsUrl, queueing.apiKey);
      sockets.push(socket);
      const request = (action: string, fields: Record<string, unknown> = {}) => socket.request({ type: 'sideExecution', action, ...fields });
      const blocker = await request('startSideExecution', { inlineCode: 'await new Promise(r => setTimeout(r, 600000))' });
      const queued = await request('startSideExecution', { inlineCode: 'return 1' });
      expect([blocker.status, queued.status]).toEqual(['running', 'queued']);
      const id = queued.sideExecutionId as string;
      // A queued execution is stopped by one store write, within a millisecond or two: only stops that
      // reach the server before that are concurrent with it, so they are sent in one write.
      socket.sendTogether(Array.from({ length: 50 }, (_, i) => ({ type: 'sideExecution', action: 'stopSideExecution', sideExecutionId: id, requestId: `q-${i}` })));
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => socket.next((f) => f.requestId === `q-${i}`)));
      expect(new Set(replies.map((r) => `${r.success} ${r.status} ${r.stoppedAt}`))).toEqual(new Set([`true stopped ${replies[0]!.stoppedAt}`]));
      expect(await request('stopSideExecution', { sideExecutionId: id })).toMatchObject({ success: true, status: 'already_stopped' });
      await request('stopSideExecution', { sideExecutionId: blocker.sideExecutionId, force: true });
    } finally {
      await stopAndRemove(queueing);
    }
  });
});

describe('type actionBlock', () => {
  it('listActionBlocks with filterType', async () => {
    const reply = await ab('listActionBlocks', { filterType: 'builtin' });
    expect(reply.actionBlocks.map((b: { name: string }) => b.name)).toEqual(['echo']);
    expect(await ab('listActionBlocks', { filterType: 'nope' })).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
  });

  it('getActionBlockDetail', async () => {
    const reply = await ab('getActionBlockDetail', { actionBlockName: 'worker' });
    expect(reply).toMatchObject({ type: 'getActionBlockDetailResponse', success: true, actionBlock: { name: 'worker', entryPoint: 'index.js', type: 'filesystem' } });
    expect(await ab('getActionBlockDetail', { actionBlockName: 'nope' })).toMatchObject({ success: false, code: 'BLOCK_NOT_FOUND' });
    expect(await ab('getActionBlockDetail', { actionBlockName: 7 })).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
  });

  it('startActionBlock answers after the block finished, with its result', async () => {
    const reply = await ab('startActionBlock', { actionBlockName: 'echo', params: { message: 'hi' } });
    expect(reply).toMatchObject({ type: 'startActionBlockResponse', success: true, result: { message: 'hi' } });
    expect(reply.sideExecutionId).toMatch(/^side_/);
  });
});

describe('subscriptions', () => {
  it('subscribe to one execution streams its status changes and output; unsubscribe ends it', async () => {
    const watcher = await open();
    const id = await startRunning("for (let i = 0; i < 1000; i++) { console.log('line ' + i); await new Promise(r => setTimeout(r, 20)); }");
    const sub = await watcher.request({ type: 'sideExecution', action: 'subscribe', sideExecutionId: id });
    expect(sub).toMatchObject({ type: 'subscribeResponse', success: true, subscriptions: { all: false, sideExecutionIds: [id] } });
    const output = await watcher.next((f) => f.type === 'sideExecutionEvent' && f.event === 'output' && f.sideExecutionId === id);
    expect(output.data).toMatch(/line \d+/);
    expect(output.stream).toBe('stdout');
    await se('stopSideExecution', { sideExecutionId: id });
    const ended = await watcher.next((f) => f.event === 'status' && f.status === 'stopped');
    expect(ended).toMatchObject({ sideExecutionId: id, terminal: true, stopReason: 'user' });
    expect(await watcher.request({ type: 'sideExecution', action: 'unsubscribe' })).toMatchObject({ success: true, subscriptions: { all: false, sideExecutionIds: [] } });
    const count = watcher.frames.length;
    await startRunning('console.log("quiet"); return 1');
    await sleep(300);
    expect(watcher.frames.length).toBe(count);
  });

  it('subscribe without an id streams every execution', async () => {
    const watcher = await open();
    await watcher.request({ type: 'sideExecution', action: 'subscribe' });
    const a = await se('startSideExecution', { inlineCode: 'console.log("from a"); return 1' });
    const b = await se('startSideExecution', { inlineCode: 'console.log("from b"); return 2' });
    await watcher.next((f) => f.event === 'status' && f.sideExecutionId === a.sideExecutionId && f.status === 'completed');
    await watcher.next((f) => f.event === 'status' && f.sideExecutionId === b.sideExecutionId && f.status === 'completed');
    expect(watcher.frames.some((f) => f.event === 'output' && f.data === 'from b\n')).toBe(true);
  });

  it('subscribing to an unknown execution fails', async () => {
    expect(await se('subscribe', { sideExecutionId: 'side_1_00000000' })).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
  });

  it('a subscriber that does not read gets events dropped with a notice; server memory stays bounded', async () => {
    const rssOf = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1]) * 1024;
    const slow = await open();
    await slow.request({ type: 'sideExecution', action: 'subscribe' });
    const before = rssOf();
    slow.ws.pause(); // reads nothing from now on
    const flood = await se('startSideExecution', {
      inlineCode: "const line = 'x'.repeat(1023) + '\\n'; for (let i = 0; i < 200 * 1024; i++) process.stdout.write(line); return 'flooded';",
    });
    let done;
    for (let i = 0; i < 300; i++) {
      done = await se('getSideExecutionStatus', { sideExecutionId: flood.sideExecutionId });
      if (done.status === 'completed') break;
      await sleep(100);
    }
    expect(done!.status).toBe('completed');
    const grown = rssOf() - before;
    expect(grown).toBeLessThan(120 * 1024 * 1024); // 200 MB of output went through
    slow.ws.resume();
    const notice = await slow.next((f) => f.event === 'dropped', 15_000);
    expect(notice.count).toBeGreaterThan(0);
    expect(notice.message).toContain('dropped');
    // Its end was among the dropped events: the latest status follows the notice.
    const end = await slow.next((f) => f.event === 'status' && f.sideExecutionId === flood.sideExecutionId && f.terminal, 15_000);
    expect(end.status).toBe('completed');
  });
});

describe('bad frames get error replies; the connection stays usable', () => {
  it.each([
    ['not JSON', '{"type":', 'INVALID_FRAME'],
    // Deeper than the next JSON.stringify of it (the store's, a reply's) could go.
    ['a threadContext nested 5,000 deep', `{"type":"sideExecution","action":"startSideExecution","inlineCode":"return 1","threadContext":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'INVALID_FRAME'],
    ['a number past what a double holds', '{"type":"sideExecution","action":"startSideExecution","inlineCode":"return m","params":{"m":1e999}}', 'INVALID_FRAME'],
    // Dropped without a word before (REST refused it).
    ['a __proto__ key in params', '{"type":"sideExecution","action":"startSideExecution","inlineCode":"return 1","params":{"__proto__":{"a":1},"b":2}}', 'INVALID_FRAME'],
    // Each bad byte became U+FFFD before.
    ['a binary frame that is not UTF-8', Buffer.concat([Buffer.from('{"type":"sideExecution","action":"startSideExecution","inlineCode":"return \'a'), Buffer.from([0xff]), Buffer.from('b\'"}')]), 'INVALID_FRAME'],
    ['an array', '[1,2]', 'INVALID_FRAME'],
    ['a string', '"hello"', 'INVALID_FRAME'],
    ['no type', { action: 'getSideExecutionStatus' }, 'INVALID_FRAME'],
    ['type not a string', { type: 5, action: 'x' }, 'INVALID_FRAME'],
    ['unknown type', { type: 'nope', action: 'x' }, 'UNKNOWN_TYPE'],
    ['unknown action', { type: 'sideExecution', action: 'explode' }, 'UNKNOWN_ACTION'],
    ['action from the prototype', { type: 'sideExecution', action: 'constructor' }, 'UNKNOWN_ACTION'],
    ['id of the wrong type', { type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: 42 }, 'INVALID_ID'],
    ['code of the wrong type', { type: 'sideExecution', action: 'startSideExecution', inlineCode: 42 }, 'INVALID_CODE'],
    ['timeout of the wrong type', { type: 'sideExecution', action: 'startSideExecution', inlineCode: 'return 1', timeout: 'soon' }, 'INVALID_TIMEOUT'],
    ['requestId of the wrong type', { type: 'sideExecution', action: 'listActionBlocks', requestId: { a: 1 } }, 'INVALID_FRAME'],
  ])('%s', async (_name, frame, code) => {
    const socket = await open();
    socket.send(frame);
    const reply = await socket.next(() => true);
    expect(reply).toMatchObject({ success: false, code });
    expect(typeof reply.error).toBe('string');
    expect(reply.error.length).toBeGreaterThan(5);
    expect(await socket.request({ type: 'sideExecution', action: 'listActionBlocks' })).toMatchObject({ success: true });
  });

  it('a refusal of what a frame holds (a __proto__ key, a number past a double) answers its requestId, so a client is not left to time out', async () => {
    for (const params of ['{"__proto__":{"a":1}}', '{"m":1e999}']) {
      const socket = await open();
      socket.send(`{"type":"sideExecution","action":"startSideExecution","requestId":"r1","inlineCode":"return 1","params":${params}}`);
      expect(await socket.next(() => true), params).toMatchObject({ type: 'startSideExecutionResponse', requestId: 'r1', success: false, code: 'INVALID_FRAME' });
    }
  });

  it('the reply to a bad frame echoes its requestId and names the action', async () => {
    const reply = await ws.request({ type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: '' });
    expect(reply).toMatchObject({ type: 'getSideExecutionStatusResponse', success: false, code: 'INVALID_ID' });
  });
});

describe('authentication on /codebolt', () => {
  const refusal = (key: string | undefined) => RawSocket.open(server.wsUrl, key).then(() => 'opened', (err: Error) => err.message);

  it('refuses the upgrade without a key and with a wrong one', async () => {
    expect(await refusal(undefined)).toContain('401');
    expect(await refusal('wrong-key-wrong-key')).toContain('401');
  });

  it('an upgrade at an unknown path is a 404 that does not say back the key in its query', async () => {
    const { port } = new URL(server.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(`GET /nope?token=${server.apiKey} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 404/);
    expect(answer).toContain('no WebSocket endpoint at /nope;');
    expect(answer).not.toContain(server.apiKey);
  });

  it('a client that resets the connection while it is being refused does not take the server down', async () => {
    const { port } = new URL(server.url);
    for (let i = 0; i < 50; i++) {
      const socket = net.connect(Number(port), '127.0.0.1');
      const connected = await new Promise<boolean>((resolve) => socket.once('connect', () => resolve(true)).once('error', () => resolve(false)));
      expect(connected).toBe(true); // the server is still there
      socket.on('error', () => {});
      socket.write(`GET /codebolt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${Buffer.from(String(i).padStart(16)).toString('base64')}\r\nAuthorization: Bearer wrong-key-wrong-key\r\n\r\n`);
      socket.resetAndDestroy();
    }
    await sleep(200);
    expect(server.child.exitCode).toBe(null);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('takes the key as ?token= for clients that cannot set headers', async () => {
    const socket = await open(server.apiKey, 'query');
    expect(await socket.request({ type: 'sideExecution', action: 'listActionBlocks' })).toMatchObject({ success: true });
  });

  it('other WebSocket paths are refused', async () => {
    const other = await RawSocket.open(`${server.url.replace('http', 'ws')}/other`, server.apiKey).then(() => 'opened', (err: Error) => err.message);
    expect(other).toContain('404');
  });
});
