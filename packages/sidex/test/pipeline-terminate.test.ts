// terminate: from the moment it arrives nothing new is accepted; items in
// progress finish within the drain deadline, then are cancelled with the stop
// protocol; the reply comes when the task has ended, CANCELLED / 'Stopped',
// with counts of what became of every item.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sidex, TaskState } from '../dist/index.js';
import { codeChain, drainedTwoRefusedOne, forever, foreverWithChild } from './fixtures/pipelines.js';
import { markerOfTask, ownedDir, rejection, statusOf, untilStatus } from './helpers/pipelines.js';
import { makeSidex, survivors } from './helpers/sidex.js';

const sidex = makeSidex({ pipelines: { graceMs: 500 } });
const ownDataDir = path.join(ownedDir('sidex-pipeline-second-'), 'data');
const pipelines = sidex.pipelines;

/** Items named "slow" take 2 s; others pass at once. */
const slowWhenAsked = 'if (input === "slow") await new Promise((r) => setTimeout(r, 2000)); return input;';

describe('terminate drains', () => {
  it('an item taking 2 s completes, a send during the drain is refused, and the counts are exact', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain(slowWhenAsked), threads: 2 });
    const marker = await markerOfTask(sidex, token);
    expect(await pipelines.send(token, 'fast')).toMatchObject({ text: ['fast\n\n'] });
    const slow = pipelines.send(token, 'slow');
    await untilStatus(sidex, token, (s) => s.inProgressCount === 1);

    const began = Date.now();
    let terminatedAt = 0;
    const terminated = pipelines.terminate(token).then((reply) => ((terminatedAt = Date.now()), reply));
    expect((await statusOf(sidex, token)).state).toBe(TaskState.STOPPING);
    const late = await rejection(pipelines.send(token, 'late'));
    expect(late.code).toBe('TASK_TERMINATING');
    expect(late.message).toMatch(/task is terminating/);

    expect(await slow).toMatchObject({ text: ['slow\n\n'], result_types: { text: 'text' } });
    expect(await terminated).toEqual({});
    expect(terminatedAt - began).toBeGreaterThan(1000); // it waited for the slow item
    const status = await statusOf(sidex, token);
    expect(status).toMatchObject({ ...drainedTwoRefusedOne, serviceUp: false, exitCode: 0 });
    expect(status.exitMessage).toBe('terminated (2 completed, 0 failed, 0 cancelled, 1 refused)');
    expect(status.endTime).toBeGreaterThanOrEqual(status.startTime);
    expect(survivors(marker)).toEqual([]);
    expect((await sidex.engine.get(status.id))?.status).toBe('stopped');
  });

  it('opens waiting for a slot are refused; a pipe already open may still be written and closed', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain(slowWhenAsked), threads: 2 });
    const slow = pipelines.send(token, 'slow');
    const { pipe_id } = await pipelines.open({ token, object: { name: 'open one' } });
    const waiting = rejection(pipelines.send(token, 'waits for a slot'));
    await untilStatus(sidex, token, (s) => s.totalCount === 2 && s.inProgressCount === 2);
    const terminated = pipelines.terminate(token);
    expect((await waiting).code).toBe('TASK_TERMINATING');
    await pipelines.write({ token, pipe_id, data: new TextEncoder().encode('still ') });
    await pipelines.write({ token, pipe_id, data: 'accepted' });
    expect(await pipelines.close({ token, pipe_id })).toMatchObject({ name: 'open one', text: ['still \n\naccepted\n\n'] }); // each write is a text of its own (RocketRide's rule)
    await slow;
    await terminated;
    expect(await statusOf(sidex, token)).toMatchObject({ state: TaskState.CANCELLED, completedCount: 2, refusedCount: 1, cancelledCount: 0 });
  });
});

describe('terminate cancels what outlives the drain deadline', () => {
  it('a 100 ms drain (per task) on an item that never ends: cancelled, and no process is left', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain(foreverWithChild), drainMs: 100 });
    const marker = await markerOfTask(sidex, token);
    const item = rejection(pipelines.send(token, 'x'));
    await untilStatus(sidex, token, (s) => s.inProgressCount === 1);
    await expectEventually(() => survivors(marker).length >= 2); // the task's process and its SIGTERM-proof child

    const began = Date.now();
    await pipelines.terminate(token);
    expect(Date.now() - began).toBeLessThan(100 + 500 + 1500); // drain + grace + slack
    const err = await item;
    expect(err.code).toBe('ITEM_CANCELLED');
    expect(err.message).toMatch(/was cancelled: the drain deadline of 100 ms passed/);
    expect(await statusOf(sidex, token)).toMatchObject({ state: TaskState.CANCELLED, status: 'Stopped', completedCount: 0, cancelledCount: 1, totalCount: 1 });
    expect(survivors(marker)).toEqual([]);
  });

  it('an item that never yields (a busy loop): the status still answers, and the stop protocol kills it', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('console.log("spinning"); for (;;) {}'), drainMs: 100 });
    const marker = await markerOfTask(sidex, token);
    const item = rejection(pipelines.send(token, 'x', { name: 'item 1' }));
    await untilStatus(sidex, token, (s) => s.inProgressCount === 1 && s.currentObject === 'item 1');
    await pipelines.terminate(token);
    expect((await item).code).toBe('ITEM_CANCELLED');
    const status = await statusOf(sidex, token);
    expect(status).toMatchObject({ state: TaskState.CANCELLED, cancelledCount: 1 });
    expect((await sidex.engine.get(status.id))?.forced).toBe(true); // SIGKILL after the 500 ms grace
    expect(survivors(marker)).toEqual([]);
  });

  it('drainMs given to terminate itself; a pipe left open is cancelled too', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain(forever), threads: 2 });
    const item = rejection(pipelines.send(token, 'x'));
    const { pipe_id } = await pipelines.open({ token });
    await untilStatus(sidex, token, (s) => s.inProgressCount === 2);
    const began = Date.now();
    await pipelines.terminate({ token, drainMs: 100 });
    expect(Date.now() - began).toBeLessThan(1500);
    expect((await item).code).toBe('ITEM_CANCELLED');
    expect((await rejection(pipelines.close({ token, pipe_id }))).code).toBe('ITEM_CANCELLED');
    expect(await statusOf(sidex, token)).toMatchObject({ state: TaskState.CANCELLED, cancelledCount: 2 });
    expect((await statusOf(sidex, token)).exitMessage).toMatch(/after the drain deadline/);
  });
});

describe('terminate twice, and terminate of what is not there', () => {
  it('two terminates at once share one outcome', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('await new Promise((r) => setTimeout(r, 500)); return input;') });
    const item = pipelines.send(token, 'x');
    await untilStatus(sidex, token, (s) => s.inProgressCount === 1);
    expect(await Promise.all([pipelines.terminate(token), pipelines.terminate({ token })])).toEqual([{}, {}]);
    expect(await item).toMatchObject({ text: ['x\n\n'] });
    expect(await statusOf(sidex, token)).toMatchObject({ state: TaskState.CANCELLED, completedCount: 1 });
  });

  it('a second terminate may force: the item is cancelled at once, nothing waits for the 30 s drain', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain(foreverWithChild) });
    const marker = await markerOfTask(sidex, token);
    const item = rejection(pipelines.send(token, 'x'));
    await untilStatus(sidex, token, (s) => s.inProgressCount === 1);
    const first = pipelines.terminate(token);
    await untilStatus(sidex, token, (s) => s.state === TaskState.STOPPING);
    const began = Date.now();
    await pipelines.terminate({ token, force: true });
    await first;
    expect(Date.now() - began).toBeLessThan(1500);
    expect((await item).code).toBe('ITEM_CANCELLED');
    expect(survivors(marker)).toEqual([]);
    expect((await sidex.engine.get((await statusOf(sidex, token)).id))?.forced).toBe(true);
  });

  it('terminating a terminated task is TASK_TERMINATED (seed 004); an unknown token is an error', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('return input') });
    await pipelines.terminate(token);
    const again = await rejection(pipelines.terminate(token));
    expect(again).toMatchObject({ code: 'TASK_TERMINATED', details: { token, field: 'token', state: TaskState.CANCELLED } });
    expect(again.message).toBe(`token: the pipeline of task "${token}" is not running: it has already ended (Stopped: terminated (0 completed, 0 failed, 0 cancelled, 0 refused))`);
    expect((await statusOf(sidex, token)).state).toBe(TaskState.CANCELLED);

    const unknown = await rejection(pipelines.terminate('tk_nothing_here'));
    expect(unknown).toMatchObject({ code: 'TASK_NOT_FOUND', message: 'no task with token "tk_nothing_here"' });
    expect((await rejection(pipelines.terminate({ token: 'bad token!' }))).code).toBe('INVALID_TOKEN');
    expect((await rejection(pipelines.terminate({ token, drainMs: -1 }))).code).toBe('INVALID_DRAIN');
    expect((await rejection(pipelines.terminate({}))).message).toMatch(/^token: /);
  });

  it('after terminate the task accepts nothing and cannot be restarted by sending', async () => {
    const { token } = await pipelines.use({ pipeline: codeChain('return input') });
    await pipelines.terminate(token);
    const err = await rejection(pipelines.send(token, 'x'));
    expect(err.code).toBe('TASK_NOT_RUNNING');
    expect((await statusOf(sidex, token)).refusedCount).toBe(0); // after the end nothing is counted any more
  });
});

describe('server shutdown', () => {
  it('drains every task within the shutdown grace, cancels the rest, leaves no process, and starts no new task', async () => {
    const own = new Sidex({ dataDir: ownDataDir, engine: { poolSize: 1 } });
    const quick = await own.pipelines.use({ pipeline: codeChain('await new Promise((r) => setTimeout(r, 200)); return input;') });
    const stuck = await own.pipelines.use({ pipeline: codeChain(foreverWithChild) });
    const markers = [await markerOfTask(own, quick.token), await markerOfTask(own, stuck.token)];
    const quickItem = own.pipelines.send(quick.token, 'done in time');
    const stuckItem = rejection(own.pipelines.send(stuck.token, 'never'));
    await untilStatus(own, stuck.token, (s) => s.inProgressCount === 1);
    await own.close({ graceMs: 600 });
    expect(await quickItem).toMatchObject({ text: ['done in time\n\n'] });
    expect((await stuckItem).code).toBe('ITEM_CANCELLED');
    expect((await rejection(own.pipelines.use({ pipeline: codeChain('return input') }))).code).toBe('SHUTTING_DOWN');
    for (const token of [quick.token, stuck.token]) {
      const status = await statusOf(own, token);
      expect(status).toMatchObject({ state: TaskState.CANCELLED, status: 'Stopped' });
      expect(status.exitMessage).toMatch(/^the server shut down/);
    }
    for (const marker of markers) expect(survivors(marker)).toEqual([]);
  });
});

async function expectEventually(check: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition never became true');
    await new Promise((r) => setTimeout(r, 20));
  }
}
