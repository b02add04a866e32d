// Codebolt-built blocks over the WebSocket: a fixture block that speaks the
// Codebolt SDK's protocol on a raw WebSocket (codebolt-ws: connects with
// query parameters, waits for its invocation, answers actionBlockComplete,
// never exits by itself), started through `sockets().start` and followed
// through `sockets().follow`: one server's Codebolt socket for both
// (server-codebolt-blocks.test.ts), or two servers of a cluster
// (cluster-seeds.test.ts). Its project holds writeCodeboltWsBlock's block.
import { describe, expect, it } from 'vitest';
import type { RawSocket } from './helpers/raw-ws.js';
import { eventually, survivors } from './helpers/sidex.js';

/** Codebolt side-execution requests on a client socket. */
export function socketCalls(socket: () => RawSocket) {
  const se = (action: string, fields: Record<string, unknown> = {}) => socket().request({ type: 'sideExecution', action, ...fields });
  const status = (id: string) => se('getSideExecutionStatus', { sideExecutionId: id });
  async function ended(id: string): Promise<Record<string, any>> {
    let last: Record<string, any> = {};
    await eventually(async () => ['completed', 'failed', 'stopped', 'timeout'].includes((last = await status(id)).status), 15_000, 50);
    return last;
  }
  return { se, status, ended };
}

/** The tree marker the fixture block printed. */
export const markOf = (output: string) => /^mark (\S+)$/m.exec(output)?.[1];
/** Whether any process of that tree is alive. */
export const treeAlive = (mark: string | undefined) => survivors(mark).length > 0;

export function codeboltBlockSuite(sockets: () => { start: RawSocket; follow: RawSocket }): void {
  const start = socketCalls(() => sockets().start);
  const follow = socketCalls(() => sockets().follow);

  async function runWsBlock(params: Record<string, unknown>, options: Record<string, unknown> = {}) {
    const started = await start.se('startSideExecution', { actionBlockPath: '.codebolt/actionblocks/codebolt-ws', params, options });
    expect(started.success, started.error).toBe(true);
    const done = await follow.ended(started.sideExecutionId);
    const mark = markOf(done.output);
    expect(mark).toBeTruthy();
    return { id: started.sideExecutionId as string, done, mark };
  }

  describe('a block speaking the Codebolt protocol', () => {
    it('is listed as a Codebolt program', async () => {
      const reply = await sockets().start.request({ type: 'actionBlock', action: 'getActionBlockDetail', actionBlockName: 'codebolt-ws' });
      expect(reply.actionBlock).toMatchObject({ name: 'codebolt-ws', protocol: 'codebolt' });
    });

    it('connects, gets its invocation, completes with its result; its process is ended', async () => {
      const { id, done, mark } = await runWsBlock(
        { mode: 'complete' },
        { threadId: 'thread-7', parentAgentId: 'agent-7', threadContext: { projectPath: '/p', messages: ['hello'] } },
      );
      expect(done).toMatchObject({ status: 'completed' });
      expect(done.result.echo).toEqual({ mode: 'complete' });
      expect(done.result.invocation).toEqual({
        type: 'actionBlockInvocation',
        sideExecutionId: id,
        params: { mode: 'complete' },
        threadContext: { projectPath: '/p', messages: ['hello'], params: { mode: 'complete' }, threadId: 'thread-7' },
        threadId: 'thread-7',
        parentAgentId: 'agent-7',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(done.output).toContain(`invoked ${id}`);
      expect(treeAlive(mark)).toBe(false);
    });

    it('by name, startActionBlock answers once the block has completed, with its result', async () => {
      const reply = await sockets().start.request({ type: 'actionBlock', action: 'startActionBlock', actionBlockName: 'codebolt-ws', params: { mode: 'complete' } });
      expect(reply).toMatchObject({ success: true, result: { echo: { mode: 'complete' } } });
      expect(treeAlive(markOf((await follow.status(reply.sideExecutionId)).output))).toBe(false);
    });

    it('an error it reports ends it failed with that error', async () => {
      const { done, mark } = await runWsBlock({ mode: 'error' });
      expect(done).toMatchObject({ status: 'failed', error: 'the block could not do it', failure: { code: 'EXECUTION_FAILED' } });
      expect(treeAlive(mark)).toBe(false);
    });

    it('a Codebolt API sidex does not provide gets an error reply naming it, with its requestId', async () => {
      const { done } = await runWsBlock({ mode: 'unsupported' });
      expect(done.status).toBe('completed');
      const { reply } = done.result;
      expect(reply).toMatchObject({ type: 'readFileResponse', success: false, code: 'UNSUPPORTED_API', details: { api: 'fsEvent.readFile' } });
      expect(reply.error).toContain('"fsEvent.readFile" is not provided by sidex');
      expect(reply.requestId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('a block that exits without completing ends by its exit', async () => {
      const { done, mark } = await runWsBlock({ mode: 'exit' });
      expect(done).toMatchObject({ status: 'failed', exitCode: 7, failure: { code: 'EXIT_CODE' } });
      expect(treeAlive(mark)).toBe(false);
    });
  });
}
