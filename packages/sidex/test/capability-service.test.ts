// Every action of the Codebolt `capability` dialect (docs/codebolt.md)
// against the in-process CapabilityService, on the fixture project: real
// capability code in real child processes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureProject, write } from './fixtures/projects/fixture-project.js';
import { eventually, makeSidex, survivors } from './helpers/sidex.js';

const fx = fixtureProject();
const sidex = makeSidex({ projectDir: fx.project, globalDir: fx.global, engine: { sampleIntervalMs: 100 } });
const capability = sidex.capability;
/** Under Node's permission model: capability and executor code must still be readable. */
const confined = makeSidex({ projectDir: fx.project, globalDir: fx.global, engine: { poolSize: 1, permissions: {} } });
/** One execution at a time: the next waits for a slot. */
const narrow = makeSidex({ projectDir: fx.project, globalDir: fx.global, engine: { maxConcurrent: 1, poolSize: 1 } });

/** What every reply has, success or not. */
type AnyReply = { success: boolean; type: string; code?: string; error?: string; data: Record<string, unknown> };

const names = (reply: AnyReply) => {
  expect(reply.success).toBe(true);
  return (reply.data.capabilities as Array<{ type: string; name: string }>).map((c) => `${c.type}/${c.name}`);
};

async function idOf(start: Promise<AnyReply>): Promise<string> {
  const reply = await start;
  expect(reply.success, reply.error).toBe(true);
  expect(reply.type).toBe('startCapabilityResponse');
  expect(reply.data.executionId).toMatch(/^cap_\d+_[0-9a-f]{8}$/);
  expect(reply.data.sideExecutionId).toBe(reply.data.executionId);
  return reply.data.executionId as string;
}

async function finished(executionId: string) {
  await sidex.sideExecution.wait(executionId);
  const status = await capability.getExecutionStatus(executionId);
  expect(status.success).toBe(true);
  return status.data as Record<string, unknown> & { execution: Record<string, unknown> };
}

/** Starts the long-running skill and resolves once its code runs. */
async function running(options?: Record<string, unknown>): Promise<string> {
  const id = await idOf(capability.startSkill('long-running-task', {}, undefined, options));
  expect(await eventually(async () => (await sidex.engine.get(id))?.stdout.text.includes('ready') === true)).toBe(true);
  return id;
}

describe('listing', () => {
  it('listCapabilities with no filter lists every valid capability, with warnings for the broken ones', async () => {
    const reply = await capability.listCapabilities();
    expect(reply.type).toBe('listCapabilitiesResponse');
    expect(names(reply)).toHaveLength(12);
    expect(reply.success && reply.warnings.length).toBeGreaterThan(10);
    expect(reply.data.capabilities).toEqual(reply.success && reply.capabilities);
  });

  it('filters by type, by any of some tags, by author (case-insensitive), and by all three', async () => {
    expect(names(await capability.listCapabilities({ type: 'power' }))).toEqual(['power/deploy', 'power/lost-executor', 'power/mismatched-executor']);
    expect(names(await capability.listCapabilities({ tags: ['ci'] }))).toEqual(['power/deploy', 'talent/review']);
    expect(names(await capability.listCapabilities({ tags: ['ci', 'quick'] }))).toEqual(['skill/quick-task', 'power/deploy', 'talent/review']);
    expect(names(await capability.listCapabilities({ author: 'alice' }))).toEqual(['skill/quick-task', 'talent/review']);
    expect(names(await capability.listCapabilities({ type: 'talent', author: 'ALICE', tags: ['review'] }))).toEqual(['talent/review']);
    expect(names(await capability.listCapabilities({ tags: [] }))).toHaveLength(12);
  });

  it('listSkills, listPowers, listTalents', async () => {
    const skills = names(await capability.listSkills());
    expect(skills.every((n) => n.startsWith('skill/'))).toBe(true);
    expect(skills).toContain('skill/guide');
    expect(names(await capability.listPowers())).toEqual(['power/deploy', 'power/lost-executor', 'power/mismatched-executor']);
    expect(names(await capability.listTalents())).toEqual(['talent/review']);
  });

  it('getCapabilitiesByTag, getCapabilitiesByAuthor', async () => {
    expect(names(await capability.getCapabilitiesByTag('demo'))).toEqual(['skill/long-running-task', 'skill/quick-task']);
    expect(names(await capability.getCapabilitiesByAuthor('ops'))).toEqual(['power/deploy']);
    expect(names(await capability.getCapabilitiesByAuthor('nobody'))).toEqual([]);
  });

  it.each([
    ['an unknown type', { type: 'widget' }, /type: must be one of skill, power, talent/],
    ['tags that are not a list', { tags: 'ci' }, /tags: must be a list of strings/],
    ['an unknown filter field', { colour: 'red' }, /colour/],
    ['a filter that is not an object', 'skill', /expected object/i],
  ])('a bad filter is refused: %s', async (_what, filter, message) => {
    const reply = await capability.listCapabilities(filter);
    expect(reply.success).toBe(false);
    expect(reply.success === false && reply.code).toBe('INVALID_ARGUMENT');
    expect(reply.success === false && reply.error).toMatch(message);
  });

  it('getCapabilityDetail: by name, narrowed by type, with its executor and a SKILL.md\'s instructions', async () => {
    const guide = await capability.getCapabilityDetail('guide');
    expect(guide.type).toBe('getCapabilityDetailResponse');
    expect(guide.success && guide.capability).toMatchObject({
      name: 'guide',
      type: 'skill',
      executorName: 'sidex',
      instructions: '# Writing commit messages\n\nSay what changed and why, in the imperative mood.',
    });
    const review = await capability.getCapabilityDetail('review', 'talent');
    expect(review.success && review.capability).toMatchObject({ name: 'review', executorName: 'echo-executor' });
    const lost = await capability.getCapabilityDetail('lost-executor', 'power');
    expect(lost.success && lost.capability).toMatchObject({ executorError: 'power "lost-executor" asks for executor "nope", which does not exist' });
  });

  it.each([
    ['an unknown name', ['nope'], 'CAPABILITY_NOT_FOUND', /no capability named "nope"/],
    ['a name of another type', ['deploy', 'skill'], 'CAPABILITY_NOT_FOUND', /no skill named "deploy"/],
    ['an empty name', [''], 'INVALID_ARGUMENT', /capabilityName: must not be empty/],
    ['a name that is not a string', [42], 'INVALID_ARGUMENT', /capabilityName: must be a string/],
    ['an unknown type', ['guide', 'widget'], 'INVALID_ARGUMENT', /capabilityType: must be one of skill, power, talent/],
  ])('getCapabilityDetail refuses %s', async (_what, args, code, message) => {
    const reply = await capability.getCapabilityDetail(...(args as [unknown, unknown?]));
    expect(reply.success).toBe(false);
    expect(reply.success === false && reply.code).toBe(code);
    expect(reply.success === false && reply.error).toMatch(message);
  });

  it('listExecutors', async () => {
    const reply = await capability.listExecutors();
    expect(reply.type).toBe('listExecutorsResponse');
    expect(reply.success && reply.executors.map((e) => e.name)).toEqual(['echo-executor', 'odd-types', 'sidex']);
    expect(reply.success && Object.keys(reply.executors[0]!).sort()).toEqual(['description', 'entryPoint', 'id', 'name', 'path', 'source', 'supportedTypes', 'version']);
  });
});

describe('starting', () => {
  it('startCapability runs a skill\'s own code on the built-in executor, with defaults applied', async () => {
    const id = await idOf(capability.startCapability('quick-task', 'skill', { delayMs: 10 }));
    const done = await finished(id);
    expect(done.execution).toMatchObject({
      id,
      capabilityName: 'quick-task',
      capabilityType: 'skill',
      executorName: 'sidex',
      sideExecutionId: id,
      status: 'completed',
      result: { done: true, params: { delayMs: 10, fail: false } },
    });
    expect(typeof done.execution.startTime).toBe('number');
  });

  it('startSkill, startPower, startTalent start the capability of that type', async () => {
    const power = await finished(await idOf(capability.startPower('deploy', { target: 'prod' })));
    expect(power.execution).toMatchObject({ capabilityType: 'power', status: 'completed', result: { deployed: 'prod' } });
    const skill = await finished(await idOf(capability.startSkill('global-skill')));
    expect(skill.execution).toMatchObject({ capabilityType: 'skill', status: 'completed', result: 'global skill' });
  });

  it('a talent runs through the project executor that supports talents, which receives ({capability, params}, ctx)', async () => {
    const done = await finished(await idOf(capability.startTalent('review', { change: 'abc123' })));
    expect(done.execution).toMatchObject({ executorName: 'echo-executor', status: 'completed' });
    expect(done.execution.result).toEqual({
      executor: 'echo-executor',
      capability: { name: 'review', type: 'talent', path: path.join(fx.capabilities, 'talent', 'review') },
      params: { change: 'abc123' },
      result: { reviewed: 'abc123' },
      cwd: path.join(fx.capabilities, 'talent', 'review'),
    });
  });

  it('a skill that is only a SKILL.md returns its instructions', async () => {
    const done = await finished(await idOf(capability.startSkill('guide', { topic: 'commits' })));
    expect(done.execution).toMatchObject({ executorName: 'sidex', status: 'completed' });
    expect(done.execution.result).toEqual({
      name: 'guide',
      type: 'skill',
      instructions: '# Writing commit messages\n\nSay what changed and why, in the imperative mood.',
      params: { topic: 'commits' },
    });
  });

  it('a capability that throws ends failed, with its error', async () => {
    const done = await finished(await idOf(capability.startSkill('quick-task', { fail: true, delayMs: 0 })));
    expect(done.execution).toMatchObject({ status: 'failed', error: 'quick-task was asked to fail' });
  });

  it('a capability whose code does not compile fails to start, and says where', async () => {
    write(path.join(fx.capabilities, 'power', 'broken-code', 'capability.yaml'), 'name: broken-code\ntype: power\n');
    write(path.join(fx.capabilities, 'power', 'broken-code', 'index.js'), 'export default async () => {\n  return 1 +;\n};\n');
    await eventually(async () => (await capability.getCapabilityDetail('broken-code', 'power')).success);
    const reply = await capability.startPower('broken-code');
    expect(reply.data.executionId).toMatch(/^cap_/);
    expect(reply.success).toBe(false);
    expect(reply.success === false && reply.code).toBe('SYNTAX_ERROR');
    expect(reply.success === false && reply.error).toMatch(/broken-code\/index\.js: Unexpected token ';' \(line 2, column \d+\)/);
    fs.rmSync(path.join(fx.capabilities, 'power', 'broken-code'), { recursive: true });
  });

  it('the timeout ends it in status timeout', async () => {
    const id = await idOf(capability.startSkill('long-running-task', {}, 300));
    const done = await finished(id);
    expect(done.execution.status).toBe('timeout');
    expect(done.execution.result).toMatchObject({ from: 0 });
  });

  it.each([
    ['an unknown capability', () => capability.startSkill('nope'), 'CAPABILITY_NOT_FOUND', /no skill named "nope"/],
    ['an unknown type', () => capability.startCapability('guide', 'widget'), 'INVALID_ARGUMENT', /capabilityType: must be one of/],
    ['a missing name', () => capability.startCapability(undefined, 'skill'), 'INVALID_ARGUMENT', /capabilityName: must be a string/],
    ['a negative timeout', () => capability.startSkill('guide', {}, -1), 'INVALID_TIMEOUT', /timeout: must not be negative/],
    ['params that are a list', () => capability.startSkill('guide', [1]), 'INVALID_PARAMS', /params: must be an object/],
    ['an unknown option', () => capability.startSkill('guide', {}, undefined, { colour: 'red' }), 'INVALID_ARGUMENT', /options/],
    ['a named executor that does not exist', () => capability.startPower('lost-executor'), 'EXECUTOR_NOT_FOUND', /asks for executor "nope", which does not exist/],
    ['a named executor of other types', () => capability.startPower('mismatched-executor'), 'EXECUTOR_UNSUPPORTED_TYPE', /executor "echo-executor" does not run powers \(it supports talent\)/],
  ])('refuses %s, and starts nothing', async (_what, call, code, message) => {
    const before = await sidex.sideExecution.list({ limit: 1000 });
    const reply = (await call()) as AnyReply;
    expect(reply.success).toBe(false);
    expect(reply.type).toBe('startCapabilityResponse');
    expect(reply.code).toBe(code);
    expect(reply.error).toMatch(message);
    expect(await sidex.sideExecution.list({ limit: 1000 })).toEqual(before);
  });
});

describe('status and active executions', () => {
  it('getExecutionStatus: the execution, its fields also flat and under data; progress while running', async () => {
    const id = await running({ threadId: 'thread-9', parentAgentId: 'agent-7' });
    expect(await eventually(async () => (await capability.getExecutionStatus(id)).data.progress !== undefined)).toBe(true);
    const status = await capability.getExecutionStatus(id);
    expect(status.type).toBe('getExecutionStatusResponse');
    expect(status.success && status.execution).toMatchObject({
      id,
      capabilityName: 'long-running-task',
      capabilityType: 'skill',
      executorName: 'sidex',
      sideExecutionId: id,
      threadId: 'thread-9',
      parentAgentId: 'agent-7',
      status: 'running',
      progress: { step: expect.any(Number) },
    });
    expect(status.data.status).toBe('running');
    expect(status.data.execution).toEqual(status.success && status.execution);
    await capability.stopCapability(id);
  });

  it('getActiveExecutions lists capability executions that have not ended, and nothing else', async () => {
    const a = await running();
    const b = await running();
    const side = await sidex.sideExecution.startWithCode('await new Promise((r) => setTimeout(r, 30000))');
    const done = await idOf(capability.startSkill('quick-task', { delayMs: 0 }));
    await sidex.sideExecution.wait(done);
    const active = await capability.getActiveExecutions();
    expect(active.type).toBe('getActiveExecutionsResponse');
    const ids = active.success ? active.executions.map((e) => e.id) : [];
    expect(ids.sort()).toEqual([a, b].sort());
    expect(active.success && active.executions.every((e) => e.status === 'running')).toBe(true);
    await Promise.all([capability.stopCapability(a), capability.stopCapability(b), sidex.sideExecution.stop(side.data.sideExecutionId)]);
    const after = await capability.getActiveExecutions();
    expect(after.success && after.executions).toEqual([]);
  });

  it('a capability waiting for a free slot reports starting (capabilities have no queued)', async () => {
    const first = await narrow.capability.startSkill('long-running-task');
    const second = await narrow.capability.startSkill('quick-task');
    expect(second.success && second.status).toBe('queued');
    const status = await narrow.capability.getExecutionStatus(second.data.executionId);
    expect(status.success && status.execution.status).toBe('starting');
    const active = await narrow.capability.getActiveExecutions();
    expect(active.success && active.executions.map((e) => e.status).sort()).toEqual(['running', 'starting']);
    await narrow.capability.stopCapability(second.data.executionId);
    await narrow.capability.stopCapability(first.data.executionId);
  });

  it.each([
    ['an unknown id', 'cap_1_00000000', 'EXECUTION_NOT_FOUND', /no capability execution with id "cap_1_00000000"/],
    ['an id that is not a string', 7, 'INVALID_ID', /must be a string/],
  ])('getExecutionStatus of %s', async (_what, id, code, message) => {
    const reply = await capability.getExecutionStatus(id);
    expect(reply.success === false && reply.code).toBe(code);
    expect(reply.success === false && reply.error).toMatch(message);
  });

  it('a plain side execution is not a capability execution', async () => {
    const side = await sidex.sideExecution.startWithCode('return 1');
    const id = side.data.sideExecutionId as string;
    await sidex.sideExecution.wait(id);
    const reply = await capability.getExecutionStatus(id);
    expect(reply.success === false && reply.code).toBe('EXECUTION_NOT_FOUND');
  });
});

describe('stopCapability behaves like the side-execution stop', () => {
  it('running: stopped, with executionId, status, the partial result and no process left', async () => {
    const id = await running();
    const marker = (await sidex.engine.get(id))?.marker;
    const reply = await capability.stopCapability(id);
    expect(reply.type).toBe('stopCapabilityResponse');
    expect(reply.success).toBe(true);
    expect(reply.data).toMatchObject({ executionId: id, status: 'stopped', result: { from: 0, step: expect.any(Number) } });
    expect(reply.success && reply.executionId).toBe(id);
    expect(survivors(marker)).toEqual([]);
    const status = await capability.getExecutionStatus(id);
    expect(status.data.status).toBe('stopped');
  });

  it('stopped: already_stopped, success', async () => {
    const id = await running();
    await capability.stopCapability(id);
    const again = await capability.stopCapability(id);
    expect(again.success).toBe(true);
    expect(again.data).toMatchObject({ executionId: id, status: 'already_stopped' });
  });

  it('completed: success false, ALREADY_FINISHED, the same reply as the side-execution stop', async () => {
    const id = await idOf(capability.startSkill('quick-task', { delayMs: 0 }));
    await sidex.sideExecution.wait(id);
    const reply = await capability.stopCapability(id);
    expect(reply.success).toBe(false);
    expect(reply.success === false && reply.code).toBe('ALREADY_FINISHED');
    expect(reply.data).toMatchObject({ executionId: id, status: 'completed' });
    const side = await sidex.sideExecution.stop(id);
    expect({ success: side.success, code: side.success ? undefined : side.code, status: side.data.status }).toEqual({
      success: reply.success,
      code: 'ALREADY_FINISHED',
      status: reply.data.status,
    });
  });

  it('failed and timed out: ALREADY_FINISHED with that status', async () => {
    const failed = await idOf(capability.startSkill('quick-task', { fail: true, delayMs: 0 }));
    await sidex.sideExecution.wait(failed);
    expect((await capability.stopCapability(failed)).data).toMatchObject({ status: 'failed', code: 'ALREADY_FINISHED' });
    const timedOut = await idOf(capability.startSkill('long-running-task', {}, 100));
    await sidex.sideExecution.wait(timedOut);
    expect((await capability.stopCapability(timedOut)).data).toMatchObject({ status: 'timeout', code: 'ALREADY_FINISHED' });
  });

  it('unknown: EXECUTION_NOT_FOUND; a side execution\'s id is unknown here and it keeps running', async () => {
    const unknown = await capability.stopCapability('cap_1_deadbeef');
    expect(unknown.success === false && unknown.code).toBe('EXECUTION_NOT_FOUND');
    expect(unknown.data.executionId).toBe('cap_1_deadbeef');
    const side = await sidex.sideExecution.startWithCode('await new Promise((r) => setTimeout(r, 30000))');
    const id = side.data.sideExecutionId as string;
    const reply = await capability.stopCapability(id);
    expect(reply.success === false && reply.code).toBe('EXECUTION_NOT_FOUND');
    expect((await sidex.sideExecution.getStatus(id)).data.status).toBe('running');
    await sidex.sideExecution.stop(id);
    const bad = await capability.stopCapability({});
    expect(bad.success === false && bad.code).toBe('INVALID_ID');
  });
});

describe('under Node\'s permission model', () => {
  it('capabilities, executors and SKILL.md files stay readable to the code that runs them', async () => {
    const own = await confined.capability.startSkill('quick-task', { delayMs: 0 });
    const guide = await confined.capability.startSkill('guide');
    const custom = await confined.capability.startTalent('review');
    for (const reply of [own, guide, custom]) {
      expect(reply.success, reply.success ? '' : reply.error).toBe(true);
      const done = await confined.sideExecution.wait(reply.data.executionId);
      expect(done.success && done.status, JSON.stringify(done.data)).toBe('completed');
    }
  });
});
