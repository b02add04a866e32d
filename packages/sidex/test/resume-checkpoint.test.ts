// Checkpoint and resume: a resumed execution runs the same code again with
// ctx.resumeFrom set to the old one's last checkpoint, and its record links
// back to the old one. For inline code, action blocks and capabilities.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureProject } from './fixtures/projects/fixture-project.js';
import { eventually, makeSidex } from './helpers/sidex.js';

const fx = fixtureProject();
const sidex = makeSidex({ projectDir: fx.project, globalDir: fx.global });
const side = sidex.sideExecution;

const counting = `
  let i = ctx.resumeFrom?.i ?? 0;
  console.log('ready from ' + i);
  while (!ctx.signal.aborted) {
    i++;
    ctx.checkpoint({ i, label });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { stoppedAt: i };
`;

const recordOf = async (id: string) => (await sidex.engine.get(id))!;
const checkpointAt = async (id: string) => ((await recordOf(id)).checkpoint as { i?: number } | undefined)?.i ?? 0;
const checkpointAtLeast = (id: string, n: number) => eventually(async () => (await checkpointAt(id)) >= n);
const printed = (id: string, text: string) => eventually(async () => (await recordOf(id)).stdout.text.includes(text));

describe('resume of side executions', () => {
  it('inline code: the new execution starts from the old one\'s last checkpoint, with the same params, timeout and limits', async () => {
    const started = await side.startWithCode(counting, { label: 'L' }, 60_000, { memoryLimitMb: 256, outputLimitMb: 5 });
    const oldId = started.data.sideExecutionId as string;
    expect(await checkpointAtLeast(oldId, 3)).toBe(true);
    const stopped = await side.stop(oldId);
    expect(stopped.data.status).toBe('stopped');
    const last = (await recordOf(oldId)).checkpoint as { i: number; label: string };
    expect(last.label).toBe('L');

    const resumed = await side.resume(oldId);
    expect(resumed.type).toBe('resumeSideExecutionResponse');
    expect(resumed.success).toBe(true);
    const newId = resumed.data.sideExecutionId as string;
    expect(newId).toMatch(/^side_/);
    expect(newId).not.toBe(oldId);
    expect(resumed.data).toMatchObject({ resumedFrom: oldId, status: 'running' });
    expect(await printed(newId, `ready from ${last.i}`)).toBe(true);

    const status = await side.getStatus(newId);
    expect(status.data).toMatchObject({ resumedFrom: oldId, params: { label: 'L' }, timeout: 60_000, isRuntimeCode: true });
    expect(await recordOf(newId)).toMatchObject({ memoryLimitBytes: 256 * 1024 * 1024, outputLimitBytes: 5 * 1024 * 1024 });
    expect(await checkpointAtLeast(newId, last.i + 2)).toBe(true);
    await side.stop(newId);
  });

  it('an action block resumes from its checkpoint and runs to its end', async () => {
    const started = await side.startWithActionBlock(path.join(fx.blocks, 'counter'), { until: 60 });
    const oldId = started.data.sideExecutionId as string;
    expect(await checkpointAtLeast(oldId, 4)).toBe(true);
    await side.stop(oldId);
    const from = ((await recordOf(oldId)).checkpoint as { i: number }).i;
    expect(from).toBeLessThan(60);

    const resumed = await side.resume(oldId);
    const done = await side.wait(resumed.data.sideExecutionId);
    expect(done.data).toMatchObject({ status: 'completed', resumedFrom: oldId, result: { start: from, i: 60, resumeFrom: { i: from } } });
  });

  it('a resumed execution can itself be resumed: each links to the one before', async () => {
    const first = (await side.startWithCode(counting, { label: 'chain' })).data.sideExecutionId as string;
    expect(await checkpointAtLeast(first, 2)).toBe(true);
    await side.stop(first);
    const second = (await side.resume(first)).data.sideExecutionId as string;
    expect(await checkpointAtLeast(second, ((await recordOf(first)).checkpoint as { i: number }).i + 2)).toBe(true);
    await side.stop(second);
    const third = (await side.resume(second)).data.sideExecutionId as string;
    const atSecond = ((await recordOf(second)).checkpoint as { i: number }).i;
    expect(await printed(third, `ready from ${atSecond}`)).toBe(true);
    expect((await recordOf(third)).resumedFrom).toBe(second);
    expect((await recordOf(second)).resumedFrom).toBe(first);
    await side.stop(third);
  });

  it('an execution that never checkpointed starts over: ctx.resumeFrom is undefined', async () => {
    const done = await side.wait((await side.startWithCode('return { resumeFrom: ctx.resumeFrom ?? "none" }')).data.sideExecutionId);
    const again = await side.wait((await side.resume(done.data.sideExecutionId)).data.sideExecutionId);
    expect(again.data).toMatchObject({ status: 'completed', result: { resumeFrom: 'none' }, resumedFrom: done.data.sideExecutionId });
  });

  it('the record keeps the code it ran', async () => {
    const id = (await side.startWithCode('return 6 * 7')).data.sideExecutionId as string;
    await side.wait(id);
    expect((await recordOf(id)).source).toEqual({ type: 'inline', code: 'return 6 * 7' });
    const block = (await side.startWithActionBlock(path.join(fx.blocks, 'counter'), { until: 1 })).data.sideExecutionId as string;
    await side.wait(block);
    expect((await recordOf(block)).source).toEqual({ type: 'block', entry: path.join(fx.blocks, 'counter', 'index.js'), dir: path.join(fx.blocks, 'counter') });
  });

  it.each([
    ['an unknown id', () => side.resume('side_1_00000000'), 'EXECUTION_NOT_FOUND', /no execution with id "side_1_00000000"/],
    ['an id that is not a string', () => side.resume(12), 'INVALID_ID', /must be a string/],
  ])('refuses %s', async (_what, call, code, message) => {
    const reply = await call();
    expect(reply.success).toBe(false);
    expect(reply.success === false && reply.code).toBe(code);
    expect(reply.success === false && reply.error).toMatch(message);
  });

  it('refuses to resume one that is still running, and starts nothing', async () => {
    const id = (await side.startWithCode(counting, { label: 'busy' })).data.sideExecutionId as string;
    expect(await printed(id, 'ready')).toBe(true);
    const ids = async () => ((await side.list({ limit: 1000 })).data.executions as Array<{ sideExecutionId: string }>).map((e) => e.sideExecutionId);
    const before = await ids();
    const reply = await side.resume(id);
    expect(reply.success).toBe(false);
    expect(reply.success === false && reply.code).toBe('EXECUTION_STILL_RUNNING');
    expect(reply.success === false && reply.error).toBe(`execution "${id}" is running: stop it or let it end before resuming it`);
    expect(await ids()).toEqual(before);
    await side.stop(id);
  });
});

describe('resume of capabilities', () => {
  it('a stopped capability resumes from its checkpoint as a new cap_ execution linked to the old one', async () => {
    const started = await sidex.capability.startSkill('long-running-task', {}, undefined, { threadId: 't-1' });
    const oldId = started.data.executionId as string;
    expect(await eventually(async () => (((await recordOf(oldId)).checkpoint as { step?: number } | undefined)?.step ?? 0) >= 3)).toBe(true);
    const stop = await sidex.capability.stopCapability(oldId);
    expect(stop.data.status).toBe('stopped');
    const step = ((await recordOf(oldId)).checkpoint as { step: number }).step;

    const resumed = await sidex.capability.resume(oldId);
    expect(resumed.type).toBe('resumeCapabilityResponse');
    expect(resumed.success).toBe(true);
    const newId = resumed.data.executionId as string;
    expect(newId).toMatch(/^cap_/);
    expect(resumed.data.resumedFrom).toBe(oldId);
    expect(await printed(newId, `ready from ${step}`)).toBe(true);
    const status = await sidex.capability.getExecutionStatus(newId);
    expect(status.success && status.execution).toMatchObject({
      capabilityName: 'long-running-task',
      capabilityType: 'skill',
      executorName: 'sidex',
      threadId: 't-1',
      status: 'running',
      resumedFrom: oldId,
    });
    const stopped = await sidex.capability.stopCapability(newId);
    expect(stopped.data.result).toMatchObject({ from: step });
  });

  it('a capability run by a custom executor resumes through the same executor', async () => {
    const first = await sidex.capability.startTalent('review', { change: 'c1' });
    await side.wait(first.data.executionId);
    const again = await sidex.capability.resume(first.data.executionId);
    await side.wait(again.data.executionId);
    const status = await sidex.capability.getExecutionStatus(again.data.executionId);
    expect(status.success && status.execution).toMatchObject({ executorName: 'echo-executor', status: 'completed', result: { result: { reviewed: 'c1' } } });
  });

  it('refuses unknown, running and non-capability executions', async () => {
    const unknown = await sidex.capability.resume('cap_1_00000000');
    expect(unknown.success === false && unknown.code).toBe('EXECUTION_NOT_FOUND');
    const plain = (await side.startWithCode('return 1')).data.sideExecutionId as string;
    await side.wait(plain);
    const notCapability = await sidex.capability.resume(plain);
    expect(notCapability.success === false && notCapability.code).toBe('EXECUTION_NOT_FOUND');
    const running = (await sidex.capability.startSkill('long-running-task')).data.executionId as string;
    const busy = await sidex.capability.resume(running);
    expect(busy.success === false && busy.code).toBe('EXECUTION_STILL_RUNNING');
    expect(busy.data.executionId).toBe(running);
    await sidex.capability.stopCapability(running);
  });
});
