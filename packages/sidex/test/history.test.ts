import { describe, expect, it } from 'vitest';
import { workloads } from './fixtures/workloads.js';
import { startReady } from './helpers/ready.js';
import { makeSidex } from './helpers/sidex.js';

const sidex = makeSidex({ engine: { maxConcurrent: 1 } });
const api = sidex.sideExecution;

async function history(id: string) {
  const reply = await api.events(id);
  if (!reply.success) throw new Error(reply.error);
  return reply.events;
}

describe("an execution's history is kept in the store", () => {
  it('every transition, each checkpoint and the stop request, in order, with how it ended', async () => {
    const id = await startReady(sidex, `ctx.checkpoint({ step: 1 }); ctx.onStop(() => 'partial'); console.log('ready'); await new Promise(() => {});`);
    await api.stop(id, { graceMs: 2000 });
    const events = await history(id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => (e.type === 'status' ? (e.data as { status: string }).status : e.type))).toEqual([
      'queued',
      'starting',
      'running',
      'checkpoint',
      'stop_requested',
      'stopping',
      'stopped',
    ]);
    expect(events.find((e) => e.type === 'checkpoint')?.data).toEqual({ step: 1 });
    expect(events.find((e) => e.type === 'stop_requested')?.data).toEqual({ reason: 'user', graceMs: 2000 });
    expect(events.at(-1)?.data).toMatchObject({ status: 'stopped', stopReason: 'user', forced: false, exitCode: 0 });
    const times = events.map((e) => e.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('checkpoints in a loop: the record keeps the last; the history notes the first 1,000, a value over 16 KB by its size only', async () => {
    const done = await api.startWithCode(`
      const big = 'c'.repeat(1024 * 1024);
      for (let i = 0; i < 300; i++) ctx.checkpoint({ i, big });
      for (let i = 0; i < 1200; i++) ctx.checkpoint({ small: i });
      return 1;`);
    if (!done.success) throw new Error(done.error);
    const ended = await api.wait(done.sideExecutionId);
    expect(ended.success && [ended.status, ended.checkpoint]).toEqual(['completed', { small: 1199 }]);
    const reply = await api.events(done.sideExecutionId, { limit: 10_000 });
    if (!reply.success) throw new Error(reply.error);
    const noted = reply.events.filter((e) => e.type === 'checkpoint').map((e) => e.data as Record<string, unknown>);
    expect(noted).toHaveLength(1000);
    expect(noted.slice(0, 300).every((d) => d.tooLargeForHistory === true && (d.bytes as number) > 1024 * 1024)).toBe(true);
    expect(noted.slice(300)).toEqual(Array.from({ length: 700 }, (_, i) => ({ small: i })));
    // Each of the 300 used to be copied whole: 300 MB of history.
    expect(JSON.stringify(reply.events).length).toBeLessThan(1024 * 1024);
  }, 60_000);

  it('a queued execution stopped before it ran: queued, stop_requested, stopped', async () => {
    const blocker = await startReady(sidex, workloads.cooperative);
    const queued = await api.startWithCode('return 1');
    if (!queued.success) throw new Error(queued.error);
    await api.stop(queued.sideExecutionId);
    const statuses = (await history(queued.sideExecutionId)).map((e) => (e.type === 'status' ? (e.data as { status: string }).status : e.type));
    expect(statuses).toEqual(['queued', 'stop_requested', 'stopped']);
    await api.stop(blocker);
  });

  it('a status read reports an end only once the store holds it (durable before acknowledged)', async () => {
    for (let i = 0; i < 10; i++) {
      const started = await api.startWithCode('console.log("x".repeat(1000)); return 1');
      if (!started.success) throw new Error(started.error);
      const id = started.sideExecutionId;
      for (;;) {
        const status = await sidex.engine.get(id);
        if (status && ['completed', 'failed', 'stopped', 'timeout'].includes(status.status)) {
          expect((await sidex.engine.store.get(id))?.status).toBe(status.status);
          const events = await sidex.engine.store.events(id);
          expect(events.at(-1)?.data).toMatchObject({ status: status.status });
          break;
        }
        await new Promise((r) => setImmediate(r));
      }
    }
  });

  it('pages with after and limit; an unknown id or a bad query is a clear error', async () => {
    const done = await api.startWithCode('return 1');
    if (!done.success) throw new Error(done.error);
    await api.wait(done.sideExecutionId);
    const page = await api.events(done.sideExecutionId, { after: 1, limit: 2 });
    expect(page.success && page.events.map((e) => e.seq)).toEqual([2, 3]);
    expect(await api.events('side_1_00000000')).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
    expect(await api.events(done.sideExecutionId, { limit: 0 })).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
    expect(await api.events(done.sideExecutionId, { after: 'x' })).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
  });
});
