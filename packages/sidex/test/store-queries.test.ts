// Queries through the service every transport calls: filters, paging, counts,
// over real executions in the SQLite store.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sidex } from '../dist/index.js';
import { openSidex, sidexHome } from './fixtures/open-sidex.js';

describe('listing and counting executions (SQLite, through the service)', () => {
  const home = sidexHome();
  let sidex: Sidex;
  const ids: Record<string, string[]> = { report: [], deploy: [], fails: [] };
  let middle = 0;

  beforeAll(async () => {
    sidex = await openSidex(home.options());
    const api = sidex.sideExecution;
    const run = async (code: string, name: string) => {
      const started = await api.startWithCode(code, {}, undefined, { name });
      if (!started.success) throw new Error(started.error);
      await api.wait(started.sideExecutionId);
      return started.sideExecutionId;
    };
    for (let i = 0; i < 4; i++) ids.report!.push(await run(`return ${i}`, `Nightly Report ${i}`));
    await new Promise((r) => setTimeout(r, 5));
    middle = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 3; i++) ids.deploy!.push(await run('return "ok"', 'deploy'));
    for (let i = 0; i < 2; i++) ids.fails!.push(await run('throw new Error("no")', 'breaks'));
    const block = await sidex.actionBlock.start('echo', { msg: 'hi' }); // answers once the block has finished
    if (!block.success) throw new Error(block.error);
  });

  const idsOf = async (filter: Record<string, unknown>) => {
    const reply = await sidex.sideExecution.list(filter);
    if (!reply.success) throw new Error(`${reply.code}: ${reply.error}`);
    return reply.executions.map((e) => e.sideExecutionId);
  };

  it('filters by status, name, text in the name, kind and time; newest first', async () => {
    expect(await idsOf({ status: 'failed' })).toEqual([...ids.fails!].reverse());
    expect(await idsOf({ status: ['failed', 'completed'], name: 'deploy' })).toEqual([...ids.deploy!].reverse());
    expect(await idsOf({ q: 'nightly REPORT' })).toEqual([...ids.report!].reverse());
    expect(await idsOf({ kind: 'block' })).toHaveLength(1);
    expect(await idsOf({ until: middle, kind: 'inline' })).toEqual([...ids.report!].reverse());
    expect(await idsOf({ since: middle, kind: 'inline' })).toEqual([...ids.deploy!, ...ids.fails!].reverse());
  });

  it('pages with a cursor', async () => {
    const first = await sidex.sideExecution.list({ limit: 4 });
    if (!first.success) throw new Error(first.error);
    expect(first.executions).toHaveLength(4);
    const second = await sidex.sideExecution.list({ limit: 100, cursor: first.nextCursor });
    if (!second.success) throw new Error(second.error);
    expect(second.nextCursor).toBeUndefined();
    const all = [...first.executions, ...second.executions].map((e) => e.sideExecutionId);
    expect(new Set(all).size).toBe(10);
    expect(all).toEqual(await idsOf({ limit: 100 }));
  });

  it('counts by status', async () => {
    const reply = await sidex.sideExecution.counts();
    expect(reply.type).toBe('countSideExecutionsResponse');
    expect(reply.success && reply.counts).toEqual({ queued: 0, starting: 0, running: 0, stopping: 0, completed: 8, failed: 2, stopped: 0, timeout: 0 });
    expect(reply.success && reply.data.counts.completed).toBe(8);
  });

  it('a bad filter or cursor is a failure reply naming the field, and changes nothing', async () => {
    const before = await sidex.sideExecution.counts();
    const cases: Array<[unknown, string, string]> = [
      [{ status: 'nope' }, 'INVALID_ARGUMENT', 'status'],
      [{ status: [] }, 'INVALID_FILTER', 'status'],
      [{ limit: 0 }, 'INVALID_ARGUMENT', 'limit'],
      [{ since: 'yesterday' }, 'INVALID_ARGUMENT', 'since'],
      [{ colour: 'red' }, 'INVALID_ARGUMENT', 'colour'],
      [{ cursor: 'not-a-cursor' }, 'INVALID_CURSOR', 'cursor'],
      ['status=failed', 'INVALID_ARGUMENT', 'input'],
    ];
    for (const [filter, code, field] of cases) {
      const reply = await sidex.sideExecution.list(filter);
      expect(reply.success, JSON.stringify(filter)).toBe(false);
      if (reply.success) continue;
      expect(reply.code).toBe(code);
      expect(reply.error).toContain(field);
    }
    expect(await sidex.sideExecution.counts()).toEqual(before);
  });
});
