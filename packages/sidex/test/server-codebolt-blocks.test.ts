// Codebolt-built blocks over the WebSocket, against a real `sidex serve`:
// the fixture block codebolt-ws (codebolt-blocks-suite.ts), and raw sockets
// that present an execution's token by hand next to a block that never
// connects (codebolt-sdk of the fixture project).
import { afterAll, describe, expect, it } from 'vitest';
import { writeCodeboltWsBlock } from './fixtures/codebolt-ws-block.js';
import { copyCatalogProject } from './fixtures/projects/fixture-project.js';
import { RawSocket } from './helpers/raw-ws.js';
import { startTestServer } from './helpers/server.js';
import { spawnServer, stopAndRemove } from './helpers/spawn-server.js';
import { eventually, sleep } from './helpers/sidex.js';
import { codeboltBlockSuite, socketCalls } from './codebolt-blocks-suite.js';
import { refusedUpgrade } from './helpers/upgrade.js';

const server = await startTestServer({
  project: (dir) => {
    copyCatalogProject(dir);
    writeCodeboltWsBlock(dir);
  },
});
const sockets: RawSocket[] = [];
async function open(url: string, key?: string): Promise<RawSocket> {
  const socket = await RawSocket.open(url, key);
  sockets.push(socket);
  return socket;
}
afterAll(() => sockets.forEach((s) => s.close()));

const client = await open(server.wsUrl, server.apiKey);
const { se, status, ended } = socketCalls(() => client);

codeboltBlockSuite(() => ({ start: client, follow: client }));

/** A running Codebolt program that never connects (codebolt-sdk), and the environment it was given. */
async function waitingBlock({ se, status } = socketCalls(() => client)): Promise<{ id: string; env: Record<string, string> }> {
  const started = await se('startSideExecution', { actionBlockPath: '.codebolt/actionblocks/codebolt-sdk', params: { topic: 't' } });
  expect(started.success, started.error).toBe(true);
  const id = started.sideExecutionId as string;
  let env: Record<string, string> | undefined;
  await eventually(async () => {
    const line = ((await status(id)).output as string).split('\n').find((l) => l.startsWith('env '));
    if (line) env = JSON.parse(line.slice(4)) as Record<string, string>;
    return env !== undefined;
  });
  if (!env) throw new Error(`${id} never printed its environment`);
  return { id, env };
}

const blockUrl = (query: Record<string, string>) => `${server.wsUrl}?${new URLSearchParams({ id: 'ws_test', ...query })}`;

describe('the execution token', () => {
  it('the server gives blocks the port and host it listens on', async () => {
    const { id, env } = await waitingBlock();
    expect(env).toMatchObject({ SOCKET_PORT: new URL(server.url).port, CODEBOLT_SERVER_URL: '127.0.0.1', SIDE_EXECUTION_ID: id, IS_SIDE_EXECUTION: 'true' });
    await se('stopSideExecution', { sideExecutionId: id });
  });

  it('or, told --advertise-host, that host (how workers in other containers reach a cluster server)', async () => {
    const advertised = await spawnServer({ args: ['--advertise-host', 'localhost'], project: copyCatalogProject });
    const socket = await open(advertised.wsUrl, advertised.apiKey);
    try {
      const calls = socketCalls(() => socket);
      const { id, env } = await waitingBlock(calls);
      expect(env).toMatchObject({ SOCKET_PORT: new URL(advertised.url).port, CODEBOLT_SERVER_URL: 'localhost', SIDE_EXECUTION_ID: id });
      await calls.se('stopSideExecution', { sideExecutionId: id });
    } finally {
      await stopAndRemove(advertised);
    }
  });

  it('opens the connection of its own execution (threadToken or SIDEX_TOKEN); its actionBlockComplete settles it', async () => {
    const { id, env } = await waitingBlock();
    const block = await open(blockUrl({ SIDEX_TOKEN: env.SIDEX_TOKEN!, SIDE_EXECUTION_ID: id, IS_SIDE_EXECUTION: 'true' }));
    const invocation = await block.next((f) => f.type === 'actionBlockInvocation');
    expect(invocation).toMatchObject({ sideExecutionId: id, params: { topic: 't' }, threadContext: { params: { topic: 't' } } });
    const closed = new Promise<number>((resolve) => block.ws.once('close', (code) => resolve(code)));
    // Keys a client's request may not hold (__proto__, constructor.prototype) are the block's own to return: its result is stored as the JSON it is.
    block.send(`{"type":"actionBlockComplete","requestId":"done","sideExecutionId":"${id}","result":{"by":"hand","code":{"constructor":{"prototype":"Foo.prototype"}}}}`);
    const reply = await block.next((f) => f.requestId === 'done');
    expect(reply).toMatchObject({ type: 'actionBlockCompleteResponse', success: true, sideExecutionId: id });
    expect(await ended(id)).toMatchObject({ status: 'completed', result: { by: 'hand', code: { constructor: { prototype: 'Foo.prototype' } } } });
    expect(await closed).toBe(1000); // the server closes it once the execution has ended
  });

  it('on that connection only its own end is served: anything else gets an error reply, and nothing changes', async () => {
    const { id, env } = await waitingBlock();
    const other = await waitingBlock();
    const block = await open(blockUrl({ threadToken: env.threadToken! }));
    await block.next((f) => f.type === 'actionBlockInvocation');
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ type: 'capability', action: 'listCapabilities' }, 'listCapabilitiesResponse', 'NOT_IN_SCOPE'],
      [{ type: 'sideExecution', action: 'stopSideExecution', sideExecutionId: other.id }, 'stopSideExecutionResponse', 'NOT_IN_SCOPE'],
      [{ type: 'sideExecution', action: 'startSideExecution', inlineCode: 'return 1' }, 'startSideExecutionResponse', 'NOT_IN_SCOPE'],
      [{ type: 'chatEvent', action: 'sendMessage', message: 'hi' }, 'sendMessageResponse', 'UNSUPPORTED_API'],
      [{ type: 'processStoped' }, 'processStopedResponse', 'UNSUPPORTED_API'],
      [{ action: 'x' }, 'xResponse', 'INVALID_FRAME'],
      [{ type: 'actionBlockComplete', sideExecutionId: other.id, result: 'hijack' }, 'actionBlockCompleteResponse', 'NOT_IN_SCOPE'],
      [{ type: 'actionBlockComplete', sideExecutionId: 5 }, 'actionBlockCompleteResponse', 'INVALID_FRAME'],
    ];
    for (const [frame, type, code] of cases) {
      const reply = await block.request(frame);
      expect(reply, JSON.stringify(frame)).toMatchObject({ type, success: false, code });
      expect(reply.error.length).toBeGreaterThan(10);
    }
    block.send('{not json');
    expect(await block.next((f) => f.code === 'INVALID_FRAME' && f.requestId === undefined)).toMatchObject({ success: false, type: 'errorResponse' });
    // A result deeper than the store's JSON.stringify could go: refused, the execution runs on.
    block.send(`{"type":"actionBlockComplete","sideExecutionId":"${id}","result":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    expect(await block.next((f) => f.code === 'INVALID_FRAME' && /nests deeper than 1000/.test(String(f.error)))).toMatchObject({ success: false, type: 'errorResponse' });
    expect((await status(id)).status).toBe('running');
    expect((await status(other.id)).status).toBe('running');
    // Stopping the execution closes its block's connection.
    const closed = new Promise<number>((resolve) => block.ws.once('close', (code) => resolve(code)));
    await se('stopSideExecution', { sideExecutionId: id });
    expect(await closed).toBe(1000);
    await se('stopSideExecution', { sideExecutionId: other.id });
  });

  it('a wrong token, an ended execution\'s, or one another execution claims is refused (401); a second connection too (409)', async () => {
    const a = await waitingBlock();
    const b = await waitingBlock();
    expect(await refusedUpgrade(blockUrl({ threadToken: 'not-a-token-at-all-not-a-token' }))).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    const claimed = await refusedUpgrade(blockUrl({ threadToken: a.env.threadToken!, SIDE_EXECUTION_ID: b.id }));
    expect(claimed).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    expect(claimed.body.error).toContain(b.id);
    expect(await refusedUpgrade(blockUrl({ threadToken: a.env.threadToken!, SIDEX_TOKEN: b.env.SIDEX_TOKEN! }))).toMatchObject({ status: 401 });
    const first = await open(blockUrl({ threadToken: a.env.threadToken! }));
    await first.next((f) => f.type === 'actionBlockInvocation');
    expect(await refusedUpgrade(blockUrl({ threadToken: a.env.threadToken! }))).toMatchObject({ status: 409, body: { code: 'ALREADY_CONNECTED' } });
    await se('stopSideExecution', { sideExecutionId: a.id });
    expect(await refusedUpgrade(blockUrl({ threadToken: a.env.threadToken! }))).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    await se('stopSideExecution', { sideExecutionId: b.id });
  });

  it('a token is not an API key, and the API key as threadToken makes a client connection, not a block', async () => {
    const { id, env } = await waitingBlock();
    expect(await refusedUpgrade(`${server.wsUrl}?token=${env.SIDEX_TOKEN}`)).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED' } });
    expect(await refusedUpgrade(server.wsUrl, { authorization: `Bearer ${env.SIDEX_TOKEN}` })).toMatchObject({ status: 401 });
    // The API key as threadToken (Codebolt's SDK cannot set headers) opens a client connection, never the block's.
    const client = await RawSocket.open(blockUrl({ threadToken: server.apiKey }), undefined);
    expect(await client.request({ type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: id })).toMatchObject({ success: true, status: 'running' });
    client.ws.close();
    // The API key with a token present does not make it a client connection.
    expect(await refusedUpgrade(blockUrl({ threadToken: 'wrong-wrong-wrong-wrong' }), { authorization: `Bearer ${server.apiKey}` })).toMatchObject({ status: 401 });
    await se('stopSideExecution', { sideExecutionId: id });
  });

  it('an SDK that sends no token is told what is missing', async () => {
    const { id } = await waitingBlock();
    const refused = await refusedUpgrade(blockUrl({ IS_SIDE_EXECUTION: 'true', SIDE_EXECUTION_ID: id }));
    expect(refused).toMatchObject({ status: 401, body: { code: 'CODEBOLT_TOKEN_REQUIRED' } });
    expect(refused.body.error).toContain('threadToken');
    await sleep(100);
    expect((await status(id)).status).toBe('running');
    await se('stopSideExecution', { sideExecutionId: id });
  });
});
