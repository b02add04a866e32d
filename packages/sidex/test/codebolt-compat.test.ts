// What Codebolt's own SDK sends and expects, against a real `sidex serve`:
// raw frames as the SDK sends them (flat fields, requestId, the key in
// ?threadToken=), and the SDK's types (dependencies as a list of names, an
// input's `required` always a boolean, a failed start's id where every reply has it).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTestBlocks } from './fixtures/blocks.js';
import { RawSocket } from './helpers/raw-ws.js';
import { spawnServer, startTestServer, stopAndRemove, writeBlock } from './helpers/server.js';
import { tempDir, untilEnded } from './helpers/sidex.js';

const server = await startTestServer({
  project: (dir) => {
    writeTestBlocks(dir);
    const withPackage = writeBlock(dir, 'with-package', 'module.exports = async () => 1;\n');
    fs.writeFileSync(path.join(withPackage, 'package.json'), JSON.stringify({ name: 'with-package', dependencies: { lodash: '^4.0.0', yaml: '^2.0.0' } }));
    const listed = writeBlock(dir, 'with-list', 'module.exports = async () => 1;\n');
    fs.appendFileSync(path.join(listed, 'actionblock.yml'), 'metadata:\n  dependencies:\n    - axios\n');
    fs.writeFileSync(path.join(listed, 'package.json'), JSON.stringify({ name: 'with-list', dependencies: { lodash: '^4.0.0' } }));
    writeBlock(dir, 'fails', "module.exports = async () => { throw new Error('the block failed'); };\n");
    const skill = path.join(dir, '.codebolt', 'capabilities', 'skill', 'greeter');
    fs.mkdirSync(skill, { recursive: true });
    fs.writeFileSync(path.join(skill, 'capability.yaml'), 'name: greeter\ntype: skill\ninputs:\n  - name: who\n    type: string\n  - name: loud\n    type: boolean\n    required: true\n');
    fs.writeFileSync(path.join(skill, 'index.js'), 'module.exports = async (params) => `hi ${params.who}`;\n');
  },
});
const sockets: RawSocket[] = [];
afterAll(() => sockets.forEach((s) => s.ws.close()));

/** Connected as Codebolt's SDK does: no header, its environment as the query, the key as threadToken. */
async function sdkSocket(key: string): Promise<RawSocket> {
  const query = new URLSearchParams({ SOCKET_PORT: new URL(server.url).port, threadToken: key, agentId: 'agent-1', threadId: 'thread-1' });
  const socket = await RawSocket.open(`${server.wsUrl}?${query}`, undefined);
  sockets.push(socket);
  return socket;
}

describe('Codebolt SDK clients, unchanged', () => {
  it('listActionBlocks(projectPath) outside the roots is refused; a root listed in SIDEX_PROJECT_ROOTS is listed', async () => {
    const other = tempDir('sidex-other-project-');
    writeBlock(other, 'elsewhere', 'module.exports = async () => 1;\n');
    const socket = await sdkSocket(server.apiKey);
    const refused = await socket.request({ type: 'sideExecution', action: 'listActionBlocks', projectPath: other });
    expect(refused).toMatchObject({ success: false, code: 'PATH_OUTSIDE_ROOTS' });
    const wider = await spawnServer({ env: { SIDEX_PROJECT_ROOTS: other } });
    try {
      const client = await RawSocket.open(wider.wsUrl, wider.apiKey);
      const listed = await client.request({ type: 'sideExecution', action: 'listActionBlocks', projectPath: other });
      expect(listed.success, listed.error).toBe(true);
      expect((listed.actionBlocks as Array<{ name: string }>).map((b) => b.name)).toContain('elsewhere');
      client.ws.close();
    } finally {
      await stopAndRemove(wider);
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('authenticate with ?threadToken=<API key>; a wrong one is refused', async () => {
    const socket = await sdkSocket(server.apiKey);
    const reply = await socket.request({ type: 'sideExecution', action: 'startSideExecution', inlineCode: 'return 6 * 7' });
    expect(reply).toMatchObject({ success: true, type: 'startSideExecutionResponse' });
    await expect(sdkSocket('not-the-key-not-the-key')).rejects.toThrow(/401/);
  });

  it('startWithActionBlock with a bare name falls back to the catalog (path first, then name)', async () => {
    const socket = await sdkSocket(server.apiKey);
    const byName = await socket.request({ type: 'sideExecution', action: 'startSideExecution', actionBlockPath: 'quick', params: { a: 1 } });
    expect(byName).toMatchObject({ success: true, sideExecutionId: expect.stringMatching(/^side_/) });
    await untilEnded(async () => (await socket.request({ type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: byName.sideExecutionId })).status);
    const done = await socket.request({ type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: byName.sideExecutionId });
    expect(done).toMatchObject({ status: 'completed', result: { quick: true, params: { a: 1 } } });
    const unknown = await socket.request({ type: 'sideExecution', action: 'startSideExecution', actionBlockPath: 'no-such-block' });
    expect(unknown).toMatchObject({ success: false, code: 'BLOCK_NOT_FOUND' });
  });

  it("metadata.dependencies is a list of names: the manifest's list, else the package.json's dependency names", async () => {
    const socket = await sdkSocket(server.apiKey);
    const detail = async (name: string) => (await socket.request({ type: 'actionBlock', action: 'getActionBlockDetail', actionBlockName: name })).actionBlock;
    expect((await detail('with-package')).metadata.dependencies).toEqual(['lodash', 'yaml']);
    expect((await detail('with-list')).metadata.dependencies).toEqual(['axios']);
  });

  it('a failed startActionBlock carries sideExecutionId flat and under data', async () => {
    const socket = await sdkSocket(server.apiKey);
    const reply = await socket.request({ type: 'actionBlock', action: 'startActionBlock', actionBlockName: 'fails' });
    expect(reply).toMatchObject({ success: false, error: 'the block failed', sideExecutionId: expect.stringMatching(/^side_/) });
    expect(reply.data.sideExecutionId).toBe(reply.sideExecutionId);
  });

  it("an input's required is always a boolean (false when the manifest leaves it out)", async () => {
    const socket = await sdkSocket(server.apiKey);
    const reply = await socket.request({ type: 'capability', action: 'getCapabilityDetail', capabilityName: 'greeter' });
    expect(reply.success, reply.error).toBe(true);
    const inputs = reply.capability.metadata.inputs as Array<{ name: string; required: unknown }>;
    expect(inputs.map((i) => [i.name, i.required])).toEqual([
      ['who', false],
      ['loud', true],
    ]);
  });
});
