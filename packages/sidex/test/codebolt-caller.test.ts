// Who calls (issue 14 item 5): Codebolt's SDK says it in its WebSocket URL
// (agentId, parentId, parentAgentInstanceId, threadId), and a start may say it
// in its options. A capability execution's metadata and a Codebolt-built
// block's actionBlockInvocation carry it; the request wins over the
// connection, field by field. Against a real `sidex serve`, with raw frames as
// the SDK sends them and through @sidex/client/codebolt.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCodeboltWsBlock } from './fixtures/codebolt-ws-block.js';
import { runCodeboltCalls } from './helpers/codebolt-program.js';
import { RawSocket } from './helpers/raw-ws.js';
import { startTestServer } from './helpers/server.js';
import { untilEnded } from './helpers/sidex.js';

const server = await startTestServer({
  project: (dir) => {
    writeCodeboltWsBlock(dir);
    const skill = path.join(dir, '.codebolt', 'capabilities', 'skill', 'hello');
    fs.mkdirSync(skill, { recursive: true });
    fs.writeFileSync(path.join(skill, 'capability.yaml'), 'name: hello\ntype: skill\n');
    fs.writeFileSync(path.join(skill, 'index.js'), "module.exports = async () => 'hello';\n");
  },
});
const sockets: RawSocket[] = [];
afterAll(() => sockets.forEach((s) => s.close()));

/** The caller as Codebolt's SDK puts it in its URL: its known variables by name, the others (threadId here) forwarded with them. */
const CALLER = { agentId: 'agent-A', parentId: 'agent-P', parentAgentInstanceId: 'instance-P', threadId: 'thread-T' };

async function sdkSocket(caller: Record<string, string> = CALLER): Promise<RawSocket> {
  const query = new URLSearchParams({ id: 'ws_test_1', ...caller, threadToken: server.apiKey, SOCKET_PORT: new URL(server.url).port });
  const socket = await RawSocket.open(`${server.wsUrl}?${query}`, undefined);
  sockets.push(socket);
  return socket;
}

async function capabilityExecution(socket: RawSocket, options?: Record<string, unknown>): Promise<Record<string, any>> {
  const started = await socket.request({ type: 'capability', action: 'startCapability', capabilityName: 'hello', capabilityType: 'skill', ...(options ? { options } : {}) });
  expect(started.success, started.error).toBe(true);
  const status = await socket.request({ type: 'capability', action: 'getExecutionStatus', executionId: started.executionId });
  expect(status.success, status.error).toBe(true);
  expect(status.data.execution).toEqual(status.execution);
  return status.execution;
}

describe('raw frames: the caller the connection names', () => {
  it('fills CapabilityExecutionMetadata: threadId, parentAgentId (the calling agent) and parentAgentInstanceId', async () => {
    const execution = await capabilityExecution(await sdkSocket());
    expect(execution).toMatchObject({ threadId: 'thread-T', parentAgentId: 'agent-A', parentAgentInstanceId: 'instance-P' });
  });

  it("a start's options win over the connection, field by field", async () => {
    const execution = await capabilityExecution(await sdkSocket(), { threadId: 'thread-own', parentAgentInstanceId: 'instance-own' });
    expect(execution).toMatchObject({ threadId: 'thread-own', parentAgentId: 'agent-A', parentAgentInstanceId: 'instance-own' });
  });

  it('a connection that names no caller leaves the fields present and empty, as the SDK type has them', async () => {
    const plain = await RawSocket.open(server.wsUrl, server.apiKey);
    sockets.push(plain);
    const execution = await capabilityExecution(plain);
    expect(execution).toMatchObject({ threadId: '', parentAgentId: '', parentAgentInstanceId: '' });
  });

  it("fills a Codebolt-built block's actionBlockInvocation, started by path and by name", async () => {
    const socket = await sdkSocket();
    const byPath = await socket.request({ type: 'sideExecution', action: 'startSideExecution', actionBlockPath: '.codebolt/actionblocks/codebolt-ws', params: { mode: 'complete' } });
    expect(byPath.success, byPath.error).toBe(true);
    const id = byPath.sideExecutionId as string;
    await untilEnded(async () => (await socket.request({ type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: id })).status);
    const done = await socket.request({ type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: id });
    expect(done.result.invocation).toEqual({
      type: 'actionBlockInvocation',
      sideExecutionId: id,
      params: { mode: 'complete' },
      threadContext: { params: { mode: 'complete' }, threadId: 'thread-T' },
      threadId: 'thread-T',
      parentAgentId: 'agent-A',
      parentAgentInstanceId: 'instance-P',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const byName = await socket.request({ type: 'actionBlock', action: 'startActionBlock', actionBlockName: 'codebolt-ws', params: { mode: 'complete' } });
    expect(byName.success, byName.error).toBe(true);
    expect(byName.result.invocation).toMatchObject({ threadId: 'thread-T', parentAgentId: 'agent-A', parentAgentInstanceId: 'instance-P' });
  });
});

describe('@sidex/client/codebolt: the caller from the variables Codebolt gives an agent', () => {
  it('fills the metadata from agentId, parentAgentInstanceId and threadId; a start’s options win', async () => {
    const [fromEnv, own] = await runCodeboltCalls(
      server,
      [
        ['capability', 'startSkill', 'hello'],
        ['capability', 'startSkill', 'hello', {}, undefined, { threadId: 'thread-own' }],
      ],
      { agentId: 'agent-A', parentId: 'agent-P', parentAgentInstanceId: 'instance-P', threadId: 'thread-T' },
    );
    const [first, second] = await runCodeboltCalls(server, [
      ['capability', 'getExecutionStatus', fromEnv!.executionId],
      ['capability', 'getExecutionStatus', own!.executionId],
    ]);
    expect(first!.execution).toMatchObject({ threadId: 'thread-T', parentAgentId: 'agent-A', parentAgentInstanceId: 'instance-P' });
    expect(second!.execution).toMatchObject({ threadId: 'thread-own', parentAgentId: 'agent-A', parentAgentInstanceId: 'instance-P' });
  });
});
