// Codebolt-built blocks (issue 5 item 6, the engine/service half): detected
// from their package.json or manifest, run in script mode with Codebolt's
// environment and a token scoped to their execution, and settled by the
// registry the WebSocket transport will call (lookupToken, invocationFor,
// complete), by Codebolt's IPC messages, or by their own exit. The fixture
// block stands in for an SDK program without the WebSocket, which comes with
// the transport.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../dist/index.js';
import { fixtureProject } from './fixtures/projects/fixture-project.js';
import { eventually, makeSidex, survivors } from './helpers/sidex.js';

const fx = fixtureProject();
const SOCKET_PORT = 45_999;
const sidex = makeSidex({ projectDir: fx.project, globalDir: fx.global, codeboltSocket: { port: () => SOCKET_PORT } });
const hostless = makeSidex({ projectDir: fx.project, globalDir: fx.global, engine: { poolSize: 1 } });
const registry = sidex.codeboltBlocks;
const blockDir = path.join(fx.blocks, 'codebolt-sdk');

type CodeboltEnv = Record<string, string | undefined>;

/** The environment the fixture block printed once it ran. */
async function printedEnv(id: string): Promise<CodeboltEnv> {
  let env: CodeboltEnv | undefined;
  await eventually(async () => {
    const line = (await sidex.engine.get(id))?.stdout.text.split('\n').find((l) => l.startsWith('env '));
    if (line) env = JSON.parse(line.slice(4)) as CodeboltEnv;
    return env !== undefined;
  });
  if (!env) throw new Error(`execution ${id} never printed its environment`);
  return env;
}

/** Starts the fixture block and resolves with its id and the environment it printed. */
async function startBlock(params: Record<string, unknown> = { topic: 'weather' }, options?: Record<string, unknown>) {
  const reply = await sidex.sideExecution.startWithActionBlock(blockDir, params, undefined, options);
  expect(reply.success, reply.success ? '' : reply.error).toBe(true);
  const id = reply.data.sideExecutionId as string;
  return { id, env: await printedEnv(id), marker: (await sidex.engine.get(id))?.marker };
}

const waitFor = async (id: string): Promise<ExecutionRecord> => sidex.engine.wait(id);

describe('detection', () => {
  it('a package.json depending on @codebolt/codeboltjs, or `codebolt: true`, makes a Codebolt program; `codebolt: false` opts out', async () => {
    const reply = await sidex.actionBlock.list();
    const protocols = Object.fromEntries((reply.success ? reply.actionBlocks : []).map((b) => [b.name, b.protocol]));
    expect(protocols).toMatchObject({ 'codebolt-sdk': 'codebolt', 'codebolt-flag': 'codebolt', 'codebolt-optout': 'sidex', greet: 'sidex' });
  });
});

describe('environment and token', () => {
  it('gets Codebolt\'s environment and keeps running (script mode) until settled', async () => {
    const { id, env } = await startBlock({ topic: 'weather' }, { threadId: 'thread-1', parentAgentId: 'agent-1', env: { SOCKET_PORT: '1', MODE: 'wait' } });
    expect(env).toMatchObject({
      SOCKET_PORT: String(SOCKET_PORT),
      CODEBOLT_SERVER_URL: '127.0.0.1',
      SIDE_EXECUTION_ID: id,
      IS_SIDE_EXECUTION: 'true',
      THREAD_ID: 'thread-1',
      PARENT_AGENT_ID: 'agent-1',
      ACTION_BLOCK_PATH: blockDir,
    });
    expect(env.SIDEX_TOKEN).toMatch(/^[\w-]{32}$/);
    expect(env.threadToken).toBe(env.SIDEX_TOKEN);
    expect((await sidex.engine.get(id))?.status).toBe('running');
    // The record keeps the token's hash, never the token (the block printed it: leave its output aside).
    const { stdout: _printed, ...record } = (await sidex.engine.get(id))!;
    expect(JSON.stringify(record)).not.toContain(env.SIDEX_TOKEN);
    expect(record.meta.codebolt).toMatchObject({ tokenHash: expect.stringMatching(/^[0-9a-f]{64}$/), actionBlockPath: blockDir });
    await sidex.sideExecution.stop(id);
  });

  it('each execution gets its own token; lookupToken tells whose it is while it runs, and nothing after', async () => {
    const a = await startBlock();
    const b = await startBlock();
    expect(a.env.SIDEX_TOKEN).not.toBe(b.env.SIDEX_TOKEN);
    expect(registry.lookupToken(a.env.SIDEX_TOKEN!)).toBe(a.id);
    expect(registry.lookupToken(b.env.SIDEX_TOKEN!)).toBe(b.id);
    expect(registry.lookupToken('not-a-token')).toBeUndefined();
    expect(registry.lookupToken('')).toBeUndefined();
    const stop = await sidex.sideExecution.stop(a.id);
    expect(stop.data.status).toBe('stopped');
    expect(survivors(a.marker)).toEqual([]);
    expect(registry.lookupToken(a.env.SIDEX_TOKEN!)).toBeUndefined();
    expect(registry.lookupToken(b.env.SIDEX_TOKEN!)).toBe(b.id);
    await sidex.sideExecution.stop(b.id);
  });
});

describe('settling', () => {
  it('invocationFor gives the actionBlockInvocation; complete({result}) ends it completed and ends its processes', async () => {
    const { id, env, marker } = await startBlock({ topic: 'tides' }, { threadId: 'thread-2', parentAgentId: 'agent-2', threadContext: { messages: ['hi'] } });
    const invocation = registry.invocationFor(registry.lookupToken(env.SIDEX_TOKEN!)!);
    expect(invocation).toEqual({
      type: 'actionBlockInvocation',
      sideExecutionId: id,
      params: { topic: 'tides' },
      threadContext: { messages: ['hi'], params: { topic: 'tides' }, threadId: 'thread-2' },
      threadId: 'thread-2',
      parentAgentId: 'agent-2',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    registry.complete(id, { result: { answer: 42 } });
    const record = await waitFor(id);
    expect(record).toMatchObject({ status: 'completed', result: { answer: 42 } });
    expect(survivors(marker)).toEqual([]);
    expect(registry.lookupToken(env.SIDEX_TOKEN!)).toBeUndefined();
    expect(() => registry.invocationFor(id)).toThrow(/no running Codebolt-built execution/);
    expect(() => registry.complete(id, { result: 'late' })).toThrow(/no running Codebolt-built execution/);
    expect((await sidex.engine.get(id))?.result).toEqual({ answer: 42 });
  });

  it('complete({error}) ends it failed with that error, as Codebolt\'s SDK reports it (a string)', async () => {
    const { id } = await startBlock();
    registry.complete(id, { error: 'it broke' });
    const record = await waitFor(id);
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'EXECUTION_FAILED', message: 'it broke' });
  });

  it('Codebolt\'s IPC message sideExecutionComplete ends it completed', async () => {
    const { id } = await startBlock({ topic: 'x' }, { env: { MODE: 'ipc-complete' } });
    sidex.engine.sendMessage(id, 'report now');
    expect(await waitFor(id)).toMatchObject({ status: 'completed', result: { via: 'ipc', id } });
  });

  it('Codebolt\'s IPC message sideExecutionError ends it failed', async () => {
    const { id } = await startBlock({ topic: 'x' }, { env: { MODE: 'ipc-error' } });
    sidex.engine.sendMessage(id, 'report now');
    const record = await waitFor(id);
    expect(record.status).toBe('failed');
    expect(record.error?.message).toBe('the block gave up');
  });

  it('a program that exits by itself ends completed', async () => {
    const { id } = await startBlock({ topic: 'x' }, { env: { MODE: 'exit' } });
    sidex.engine.sendMessage(id, 'exit now');
    expect(await waitFor(id)).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('startActionBlock by name answers once the block has been completed', async () => {
    const seen = new Promise<string>((resolve) => {
      const off = sidex.sideExecution.on('status', (record) => {
        if (record.name === 'codebolt-flag' && record.status === 'running') {
          off();
          resolve(record.id);
        }
      });
    });
    const answer = sidex.actionBlock.start('codebolt-flag', { q: 1 });
    const id = await seen;
    expect(registry.invocationFor(id).params).toEqual({ q: 1 });
    registry.complete(id, { result: 'done by name' });
    const reply = await answer;
    expect(reply.success && reply.result).toBe('done by name');
    expect(reply.data.sideExecutionId).toBe(id);
  });

  it('a resumed Codebolt block gets a new token; the old one stays dead', async () => {
    const first = await startBlock();
    await sidex.sideExecution.stop(first.id);
    const resumed = await sidex.sideExecution.resume(first.id);
    const id = resumed.data.sideExecutionId as string;
    const env = await printedEnv(id);
    expect(env.SIDEX_TOKEN).not.toBe(first.env.SIDEX_TOKEN);
    expect(registry.lookupToken(env.SIDEX_TOKEN!)).toBe(id);
    expect(registry.lookupToken(first.env.SIDEX_TOKEN!)).toBeUndefined();
    registry.complete(id, { result: 'resumed' });
    expect(await waitFor(id)).toMatchObject({ status: 'completed', result: 'resumed', resumedFrom: first.id });
  });
});

describe('refusals', () => {
  it('params are checked against the block\'s inputs before anything starts', async () => {
    const reply = await sidex.sideExecution.startWithActionBlock(blockDir, {});
    expect(reply.success === false && reply.code).toBe('INVALID_PARAMS');
    expect(reply.success === false && reply.details?.issues).toEqual([{ field: 'params.topic', message: 'is required (string)' }]);
  });

  it('without a Codebolt socket (no server), a Codebolt program is refused and nothing starts', async () => {
    const before = await hostless.sideExecution.list({ limit: 1000 });
    const reply = await hostless.sideExecution.startWithActionBlock(blockDir, { topic: 'x' });
    expect(reply.success === false && reply.code).toBe('CODEBOLT_HOST_UNAVAILABLE');
    expect(reply.success === false && reply.error).toMatch(/Codebolt SDK program: it needs the \/codebolt WebSocket of a running sidex server/);
    expect(await hostless.sideExecution.list({ limit: 1000 })).toEqual(before);
    const plain = await hostless.actionBlock.start('codebolt-optout');
    expect(plain.success && plain.result).toBe('plain');
  });
});
