// `client.capability` against a real `sidex serve` whose project is the
// fixture project: every method, with Codebolt's names and argument orders.
import { afterAll, describe, expect, it } from 'vitest';
import { SidexClient, SidexClientError, type CapabilityExecution, type Reply } from '../dist/index.js';
import { copyCatalogProject } from '../../sidex/test/fixtures/projects/fixture-project.js';
import { startTestServer } from '../../sidex/test/helpers/server.js';
import { eventually } from '../../sidex/test/helpers/sidex.js';

const server = await startTestServer({ project: copyCatalogProject });
const sdk = new SidexClient({ url: server.url, apiKey: server.apiKey });
afterAll(() => sdk.close());
const api = sdk.capability;

function names(reply: Reply<{ capabilities: Array<{ name: string }> }>): string[] {
  if (!reply.success) throw new Error(reply.error);
  return reply.capabilities.map((c) => c.name).sort();
}

async function execution(id: string): Promise<CapabilityExecution> {
  const reply = await api.getExecutionStatus(id);
  if (!reply.success) throw new Error(reply.error);
  return reply.execution;
}

async function ended(id: string): Promise<CapabilityExecution> {
  let last: CapabilityExecution | undefined;
  await eventually(async () => ['completed', 'failed', 'stopped', 'timeout'].includes((last = await execution(id)).status), 15_000, 50);
  return last!;
}

async function running(): Promise<string> {
  const started = await api.startSkill('long-running-task');
  if (!started.success) throw new Error(started.error);
  expect(await eventually(async () => (await execution(started.executionId)).output.includes('ready'))).toBe(true);
  return started.executionId;
}

describe('listing', () => {
  it('listCapabilities, with a filter; listCapabilitiesByType; listSkills, listPowers, listTalents', async () => {
    expect(names(await api.listCapabilities())).toEqual(expect.arrayContaining(['deploy', 'guide', 'quick-task', 'review']));
    expect(names(await api.listCapabilities({ type: 'skill', author: 'alice' }))).toEqual(['quick-task']);
    expect(names(await api.listCapabilitiesByType('power'))).toEqual(names(await api.listPowers()));
    const skills = await api.listSkills();
    expect(skills.success && skills.capabilities.every((c) => c.type === 'skill')).toBe(true);
    expect(names(await api.listPowers())).toContain('deploy');
    expect(names(await api.listTalents())).toEqual(['review']);
    expect(skills.success && skills.warnings.length).toBeGreaterThan(0);
  });

  it('getCapabilitiesByTag and getCapabilitiesByAuthor', async () => {
    expect(names(await api.getCapabilitiesByTag('ci'))).toEqual(['deploy', 'review']);
    expect(names(await api.getCapabilitiesByAuthor('Docs-Team'))).toEqual(['guide']);
  });

  it('getCapabilityDetail, with and without a type; unknown: CAPABILITY_NOT_FOUND', async () => {
    const guide = await api.getCapabilityDetail('guide');
    expect(guide.success && guide.capability).toMatchObject({ name: 'guide', type: 'skill', executorName: 'sidex', instructions: expect.stringContaining('imperative') });
    const review = await api.getCapabilityDetail('review', 'talent');
    expect(review.success && review.capability.executorName).toBe('echo-executor');
    expect(await api.getCapabilityDetail('review', 'skill')).toMatchObject({ success: false, code: 'CAPABILITY_NOT_FOUND' });
  });

  it('listExecutors', async () => {
    const reply = await api.listExecutors();
    expect(reply.success && reply.executors.map((e) => e.name)).toEqual(expect.arrayContaining(['sidex', 'echo-executor']));
  });
});

describe('executions', () => {
  it('startCapability(name, type, params, timeout) and getExecutionStatus', async () => {
    const started = await api.startCapability('quick-task', 'skill', { delayMs: 50 }, 10_000);
    if (!started.success) throw new Error(started.error);
    expect(started).toMatchObject({ type: 'startCapabilityResponse', executorName: 'sidex', sideExecutionId: started.executionId });
    expect(await ended(started.executionId)).toMatchObject({ status: 'completed', result: { done: true, params: { delayMs: 50, fail: false } } });
    const status = await api.getExecutionStatus(started.executionId);
    expect(status.success && status.data.status).toBe('completed');
  });

  it('startSkill, startPower, startTalent(name, params?, timeout?)', async () => {
    const power = await api.startPower('deploy', { target: 'prod' });
    const talent = await api.startTalent('review');
    if (!power.success || !talent.success) throw new Error('start failed');
    expect((await ended(power.executionId)).result).toEqual({ deployed: 'prod' });
    expect((await ended(talent.executionId)).result).toMatchObject({ executor: 'echo-executor', result: { reviewed: 'HEAD' } });
    const limited = await api.startSkill('long-running-task', {}, 300);
    if (!limited.success) throw new Error(limited.error);
    expect(await ended(limited.executionId)).toMatchObject({ status: 'timeout', capabilityName: 'long-running-task' });
  });

  it('bad input is a reply, not a throw: INVALID_PARAMS names the field; nothing starts', async () => {
    const total = async () => {
      const reply = await sdk.sideExecution.counts();
      return reply.success ? Object.values(reply.counts).reduce((a, b) => a + b, 0) : -1;
    };
    const before = await total();
    const reply = await api.startSkill('typed', {});
    expect(reply).toMatchObject({ success: false, code: 'INVALID_PARAMS' });
    expect(!reply.success && reply.error).toContain('params.text');
    expect(await api.startCapability('quick-task', 'spell' as 'skill')).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
    expect(await total()).toBe(before);
  });

  it('stopCapability on running, stopped, completed and unknown executions; force', async () => {
    const id = await running();
    expect(await api.stopCapability(id)).toMatchObject({ success: true, executionId: id, status: 'stopped' });
    expect(await api.stopCapability(id)).toMatchObject({ success: true, status: 'already_stopped' });
    const quick = await api.startSkill('quick-task', { delayMs: 0 });
    if (!quick.success) throw new Error(quick.error);
    await ended(quick.executionId);
    expect(await api.stopCapability(quick.executionId)).toMatchObject({ success: false, code: 'ALREADY_FINISHED', status: 'completed' });
    expect(await api.stopCapability('cap_1_00000000')).toMatchObject({ success: false, code: 'EXECUTION_NOT_FOUND' });
    const forced = await running();
    expect(await api.stopCapability(forced, { force: true })).toMatchObject({ success: true, forced: true });
  });

  it('getActiveExecutions', async () => {
    const id = await running();
    const active = await api.getActiveExecutions();
    expect(active.success && active.executions.map((e) => e.id)).toContain(id);
    await api.stopCapability(id);
    const after = await api.getActiveExecutions();
    expect(after.success && after.executions.map((e) => e.id)).not.toContain(id);
  });

  it('resume: capability.resume and sideExecution.resume start the same code from the last checkpoint', async () => {
    const id = await running();
    await api.stopCapability(id);
    const resumed = await api.resume(id);
    if (!resumed.success) throw new Error(resumed.error);
    expect(resumed.resumedFrom).toBe(id);
    // As a start's reply names it (sidex skill resume printed "on undefined").
    expect(resumed.executorName).toEqual(expect.any(String));
    expect(await eventually(async () => (await execution(resumed.executionId)).output.includes('ready from'))).toBe(true);
    expect(Number(/ready from (\d+)/.exec((await execution(resumed.executionId)).output)?.[1])).toBeGreaterThan(0);
    await api.stopCapability(resumed.executionId);
    const side = await sdk.sideExecution.startWithCode('ctx.checkpoint("mark"); return ctx.resumeFrom ?? "fresh"');
    if (!side.success) throw new Error(side.error);
    await sdk.wait(side.sideExecutionId);
    const again = await sdk.sideExecution.resume(side.sideExecutionId);
    if (!again.success) throw new Error(again.error);
    expect(again.resumedFrom).toBe(side.sideExecutionId);
    expect(await sdk.wait(again.sideExecutionId)).toMatchObject({ status: 'completed', result: 'mark' });
  });
});

describe('authentication', () => {
  it('a wrong key: every capability call rejects with UNAUTHORIZED', async () => {
    const refused = new SidexClient({ url: server.url, apiKey: 'wrong-key-wrong-key' });
    try {
      const err = await refused.capability.listSkills().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SidexClientError);
      expect((err as SidexClientError).code).toBe('UNAUTHORIZED');
      await expect(refused.capability.stopCapability('cap_1_00000000')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    } finally {
      refused.close();
    }
  });
});
