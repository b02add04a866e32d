// The capability type of the Codebolt dialect at /codebolt, and resume (a
// sidex extension), frame by frame over a raw WebSocket against a real server
// whose project is the fixture project.
import { afterAll, describe, expect, it } from 'vitest';
import { copyCatalogProject } from './fixtures/projects/fixture-project.js';
import { RawSocket } from './helpers/raw-ws.js';
import { startTestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const server = await startTestServer({ project: copyCatalogProject });
const ws = await RawSocket.open(server.wsUrl, server.apiKey);
afterAll(() => ws.close());
const cap = (action: string, fields: Record<string, unknown> = {}) => ws.request({ type: 'capability', action, ...fields });
const se = (action: string, fields: Record<string, unknown> = {}) => ws.request({ type: 'sideExecution', action, ...fields });
const names = (list: Array<{ name: string }>) => list.map((c) => c.name).sort();

async function statusOf(id: string): Promise<Record<string, any>> {
  return cap('getExecutionStatus', { executionId: id });
}

async function ended(id: string): Promise<Record<string, any>> {
  let last: Record<string, any> = {};
  await eventually(async () => ['completed', 'failed', 'stopped', 'timeout'].includes((last = await statusOf(id)).status), 15_000, 50);
  return last;
}

/** Starts long-running-task and resolves once its code runs (it printed "ready"). */
async function running(): Promise<string> {
  const started = await cap('startCapability', { capabilityName: 'long-running-task', capabilityType: 'skill' });
  expect(started.success, started.error).toBe(true);
  const id = started.executionId as string;
  expect(await eventually(async () => ((await statusOf(id)).output as string).includes('ready'))).toBe(true);
  return id;
}

/** How many executions the server holds: bad input must not add any. */
const executionCount = async () => {
  const counts = (await se('countSideExecutions')).counts as Record<string, number>;
  return Object.values(counts).reduce((a, b) => a + b, 0);
};

describe('listing', () => {
  it('listCapabilities: all of them, broken ones as warnings; reply type, fields flat and under data', async () => {
    const reply = await cap('listCapabilities');
    expect(reply).toMatchObject({ type: 'listCapabilitiesResponse', success: true });
    expect(names(reply.capabilities)).toEqual(expect.arrayContaining(['deploy', 'guide', 'interactive-task', 'long-running-task', 'quick-task', 'review', 'typed']));
    expect(reply.data.capabilities).toEqual(reply.capabilities);
    expect(reply.warnings.some((w: { file: string }) => w.file.includes('no-name'))).toBe(true);
    const quick = reply.capabilities.find((c: { name: string }) => c.name === 'quick-task');
    expect(quick).toMatchObject({ id: expect.stringMatching(/^capability_[0-9a-f]{16}$/), type: 'skill', version: '2.0.0', description: expect.any(String), path: expect.any(String), metadata: { author: 'Alice', tags: ['quick', 'demo'] } });
  });

  it('listCapabilities with filter: type, tags (any of them), author (any case)', async () => {
    expect(names((await cap('listCapabilities', { filter: { type: 'power' } })).capabilities)).toEqual(expect.arrayContaining(['deploy']));
    expect((await cap('listCapabilities', { filter: { type: 'power' } })).capabilities.every((c: { type: string }) => c.type === 'power')).toBe(true);
    expect(names((await cap('listCapabilities', { filter: { tags: ['ci'] } })).capabilities)).toEqual(['deploy', 'review']);
    expect(names((await cap('listCapabilities', { filter: { tags: ['git', 'deploy'] } })).capabilities)).toEqual(['deploy', 'guide']);
    expect(names((await cap('listCapabilities', { filter: { author: 'ALICE' } })).capabilities)).toEqual(['quick-task', 'review']);
    expect(names((await cap('listCapabilities', { filter: { type: 'skill', tags: ['demo'], author: 'fixtures' } })).capabilities)).toEqual(['long-running-task']);
  });

  it('getCapabilityDetail: the capability, the executor that would run it, a SKILL.md\'s instructions', async () => {
    const quick = await cap('getCapabilityDetail', { capabilityName: 'quick-task', capabilityType: 'skill' });
    expect(quick).toMatchObject({ type: 'getCapabilityDetailResponse', success: true, capability: { name: 'quick-task', executorName: 'sidex' } });
    const review = await cap('getCapabilityDetail', { capabilityName: 'review' });
    expect(review.capability).toMatchObject({ type: 'talent', executorName: 'echo-executor' });
    const guide = await cap('getCapabilityDetail', { capabilityName: 'guide' });
    expect(guide.capability.instructions).toContain('imperative mood');
    const lost = await cap('getCapabilityDetail', { capabilityName: 'lost-executor' });
    expect(lost.capability.executorError).toEqual(expect.any(String));
  });

  it('listExecutors: the built-in one and the project\'s, with their types', async () => {
    const reply = await cap('listExecutors');
    expect(reply).toMatchObject({ type: 'listExecutorsResponse', success: true });
    const byName = Object.fromEntries(reply.executors.map((e: { name: string; supportedTypes: string[] }) => [e.name, e.supportedTypes]));
    expect(byName).toMatchObject({ sidex: ['skill', 'power', 'talent'], 'echo-executor': ['talent'] });
    expect(reply.executors[0]).toEqual(expect.objectContaining({ id: expect.stringMatching(/^executor_/), version: expect.any(String), entryPoint: expect.any(String), path: expect.any(String) }));
  });
});

describe('executions', () => {
  it('startCapability answers once it runs, with executionId; getExecutionStatus follows it to its result', async () => {
    const started = await cap('startCapability', { capabilityName: 'quick-task', capabilityType: 'skill', params: { delayMs: 100 }, timeout: 10_000 });
    expect(started).toMatchObject({ type: 'startCapabilityResponse', success: true, executorName: 'sidex' });
    expect(started.executionId).toMatch(/^cap_\d+_[0-9a-f]{8}$/);
    expect(started.data.executionId).toBe(started.executionId);
    const done = await ended(started.executionId);
    expect(done).toMatchObject({
      type: 'getExecutionStatusResponse',
      success: true,
      executionId: started.executionId,
      status: 'completed',
      execution: { id: started.executionId, capabilityName: 'quick-task', capabilityType: 'skill', executorName: 'sidex', status: 'completed', result: { done: true, params: { delayMs: 100, fail: false } } },
    });
    expect(done.data.status).toBe('completed');
  });

  it('a talent runs through the project\'s executor; a failing skill ends failed with its error', async () => {
    const review = await cap('startCapability', { capabilityName: 'review', capabilityType: 'talent', params: { change: 'abc' } });
    expect((await ended(review.executionId)).result).toMatchObject({ executor: 'echo-executor', result: { reviewed: 'abc' } });
    const failing = await cap('startCapability', { capabilityName: 'quick-task', capabilityType: 'skill', params: { delayMs: 0, fail: true } });
    expect(await ended(failing.executionId)).toMatchObject({ status: 'failed', error: 'quick-task was asked to fail' });
  });

  it('getActiveExecutions lists what runs, and not what ended', async () => {
    const id = await running();
    const active = await cap('getActiveExecutions');
    expect(active).toMatchObject({ type: 'getActiveExecutionsResponse', success: true });
    expect(active.executions.map((e: { id: string }) => e.id)).toContain(id);
    await cap('stopCapability', { executionId: id });
    expect((await cap('getActiveExecutions')).executions.map((e: { id: string }) => e.id)).not.toContain(id);
  });

  it('stopCapability on running, stopped, completed and unknown executions', async () => {
    const id = await running();
    const stopped = await cap('stopCapability', { executionId: id });
    expect(stopped).toMatchObject({ type: 'stopCapabilityResponse', success: true, executionId: id, status: 'stopped' });
    expect(stopped.result).toMatchObject({ from: 0 });
    expect(stopped.data).toMatchObject({ executionId: id, status: 'stopped' });
    expect(await cap('stopCapability', { executionId: id })).toMatchObject({ success: true, executionId: id, status: 'already_stopped' });
    const quick = await cap('startCapability', { capabilityName: 'quick-task', capabilityType: 'skill', params: { delayMs: 0 } });
    await ended(quick.executionId);
    const finished = await cap('stopCapability', { executionId: quick.executionId });
    expect(finished).toMatchObject({ success: false, code: 'ALREADY_FINISHED', executionId: quick.executionId, status: 'completed' });
    expect(finished.error).toContain('already finished');
    expect(await cap('stopCapability', { executionId: 'cap_1_00000000' })).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
    const side = await se('startSideExecution', { inlineCode: 'return 1' });
    expect(await cap('stopCapability', { executionId: side.sideExecutionId })).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
  });

  it('stopCapability takes force (a sidex extension)', async () => {
    const id = await running();
    const began = Date.now();
    expect(await cap('stopCapability', { executionId: id, force: true })).toMatchObject({ success: true, status: 'stopped', forced: true });
    expect(Date.now() - began).toBeLessThan(4000);
  });
});

describe('resume (a sidex extension)', () => {
  it('resumeCapability runs a stopped capability again from its last checkpoint', async () => {
    const id = await running();
    expect(await cap('resumeCapability', { executionId: id })).toMatchObject({ success: false, code: 'EXECUTION_STILL_RUNNING' });
    const stopped = await cap('stopCapability', { executionId: id });
    const step = stopped.result.step as number;
    const resumed = await cap('resumeCapability', { executionId: id });
    expect(resumed).toMatchObject({ type: 'resumeCapabilityResponse', success: true, resumedFrom: id });
    expect(resumed.executionId).toMatch(/^cap_/);
    expect(await eventually(async () => ((await statusOf(resumed.executionId)).output as string).includes('ready from'))).toBe(true);
    const status = await statusOf(resumed.executionId);
    expect(status.execution).toMatchObject({ capabilityName: 'long-running-task', resumedFrom: id });
    expect(Number(/ready from (\d+)/.exec(status.output)?.[1])).toBeGreaterThanOrEqual(step);
    await cap('stopCapability', { executionId: resumed.executionId });
    expect(await cap('resumeCapability', { executionId: 'cap_1_00000000' })).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
  });

  it('resumeSideExecution runs an ended side execution again with ctx.resumeFrom', async () => {
    const started = await se('startSideExecution', { inlineCode: "ctx.checkpoint({ at: (ctx.resumeFrom?.at ?? 0) + 1 }); console.log('ready'); await new Promise((r) => setTimeout(r, 600000))" });
    const id = started.sideExecutionId as string;
    await eventually(async () => ((await se('getSideExecutionStatus', { sideExecutionId: id })).output as string).includes('ready'));
    await se('stopSideExecution', { sideExecutionId: id });
    const resumed = await se('resumeSideExecution', { sideExecutionId: id });
    expect(resumed).toMatchObject({ type: 'resumeSideExecutionResponse', success: true, resumedFrom: id });
    const next = resumed.sideExecutionId as string;
    expect(await eventually(async () => (await se('getSideExecutionStatus', { sideExecutionId: next })).checkpoint?.at === 2)).toBe(true);
    await se('stopSideExecution', { sideExecutionId: next });
    expect(await se('resumeSideExecution', { sideExecutionId: 'side_1_00000000' })).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
    expect(await se('resumeSideExecution', { sideExecutionId: 7 })).toMatchObject({ success: false, code: 'INVALID_ID' });
  });
});

describe('bad input: success false, a code naming the field, nothing changes', () => {
  it.each([
    ['listCapabilities', { filter: { type: 'spell' } }, 'INVALID_ARGUMENT', 'type'],
    ['listCapabilities', { filter: { tags: 'ci' } }, 'INVALID_ARGUMENT', 'tags'],
    ['listCapabilities', { filter: { colour: 'red' } }, 'INVALID_ARGUMENT', 'colour'],
    ['getCapabilityDetail', {}, 'INVALID_ARGUMENT', 'capabilityName'],
    ['getCapabilityDetail', { capabilityName: 5 }, 'INVALID_ARGUMENT', 'capabilityName'],
    ['getCapabilityDetail', { capabilityName: 'nope' }, 'CAPABILITY_NOT_FOUND', 'nope'],
    ['getCapabilityDetail', { capabilityName: 'quick-task', capabilityType: 'talent' }, 'CAPABILITY_NOT_FOUND', 'quick-task'],
    ['startCapability', { capabilityName: 'quick-task' }, 'INVALID_ARGUMENT', 'capabilityType'],
    ['startCapability', { capabilityName: '', capabilityType: 'skill' }, 'INVALID_ARGUMENT', 'capabilityName'],
    ['startCapability', { capabilityName: 'nope', capabilityType: 'skill' }, 'CAPABILITY_NOT_FOUND', 'nope'],
    ['startCapability', { capabilityName: 'quick-task', capabilityType: 'skill', params: [1] }, 'INVALID_PARAMS', 'params'],
    ['startCapability', { capabilityName: 'quick-task', capabilityType: 'skill', params: { delayMs: 'soon' } }, 'INVALID_PARAMS', 'params.delayMs'],
    ['startCapability', { capabilityName: 'typed', capabilityType: 'skill', params: {} }, 'INVALID_PARAMS', 'params.text'],
    ['startCapability', { capabilityName: 'quick-task', capabilityType: 'skill', timeout: -1 }, 'INVALID_TIMEOUT', 'timeout'],
    ['startCapability', { capabilityName: 'lost-executor', capabilityType: 'power' }, 'EXECUTOR_NOT_FOUND', 'lost-executor'],
    ['stopCapability', {}, 'INVALID_ID', 'executionId'],
    ['stopCapability', { executionId: 'cap_1_00000000', graceMs: -5 }, 'INVALID_ARGUMENT', 'graceMs'],
    ['getExecutionStatus', { executionId: 42 }, 'INVALID_ID', 'executionId'],
    ['getExecutionStatus', { executionId: 'cap_1_00000000' }, 'EXECUTION_NOT_FOUND', 'cap_1_00000000'],
    ['resumeCapability', { executionId: '' }, 'INVALID_ID', 'executionId'],
  ])('%s %j: %s', async (action, fields, code, named) => {
    const before = await executionCount();
    const reply = await cap(action, fields);
    expect(reply).toMatchObject({ type: `${action}Response`, success: false, code });
    expect(reply.error).toContain(named);
    expect(await executionCount()).toBe(before);
  });

  it('an unknown capability action lists the known ones', async () => {
    const reply = await cap('castSpell');
    expect(reply).toMatchObject({ success: false, code: 'UNKNOWN_ACTION' });
    expect(reply.error).toContain('stopCapability');
  });
});

describe('authentication', () => {
  it('no key and a wrong key are refused before any capability action can be sent', async () => {
    for (const key of [undefined, 'wrong-key-wrong-key']) {
      const refused = await RawSocket.open(server.wsUrl, key).then(() => 'opened', (err: Error) => err.message);
      expect(refused).toContain('401');
    }
  });
});
