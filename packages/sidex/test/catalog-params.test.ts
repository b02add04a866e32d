// Params are checked against the inputs a manifest declares before any
// process starts: required, type, default. A failure is INVALID_PARAMS
// listing every bad field, and changes nothing.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureProject } from './fixtures/projects/fixture-project.js';
import { makeSidex } from './helpers/sidex.js';

const fx = fixtureProject();
const sidex = makeSidex({ projectDir: fx.project, globalDir: fx.global });
const greetPath = path.join(fx.blocks, 'greet');

type Issue = { field: string; message: string };
type Reply = { success: boolean; code?: string; error?: string; details?: Record<string, unknown> };

async function expectRefused(call: () => Promise<Reply>, issues: Issue[]) {
  const before = await sidex.sideExecution.list({ limit: 1000 });
  const reply = await call();
  expect(reply.success).toBe(false);
  expect(reply.code).toBe('INVALID_PARAMS');
  expect(reply.details?.issues).toEqual(issues);
  for (const issue of issues) expect(reply.error).toContain(`${issue.field}: ${issue.message}`);
  // Nothing started, nothing recorded.
  expect(await sidex.sideExecution.list({ limit: 1000 })).toEqual(before);
  expect(sidex.engine.runningCount).toBe(0);
}

async function resultOf(reply: { success: boolean; data: Record<string, unknown> }, idField = 'sideExecutionId') {
  expect(reply.success).toBe(true);
  const done = await sidex.sideExecution.wait(reply.data[idField]);
  expect(done.success && done.status).toBe('completed');
  return done.success ? done.result : undefined;
}

describe('action blocks: params against metadata.inputs', () => {
  it('a missing required input is refused, by path and by name', async () => {
    const issues = [{ field: 'params.name', message: 'is required (string: Who to greet)' }];
    await expectRefused(() => sidex.sideExecution.startWithActionBlock(greetPath, {}), issues);
    await expectRefused(() => sidex.actionBlock.start('greet', { times: 2 }), issues);
  });

  it('every bad field is listed, each with what is wrong with it', async () => {
    await expectRefused(
      () =>
        sidex.sideExecution.startWithActionBlock(greetPath, {
          times: 1.5,
          loud: 'yes',
          options: [1],
          extra: { not: 'a list' },
          ratio: Number.NaN,
          anything: Symbol.for('never checked: any'),
        }),
      [
        { field: 'params.name', message: 'is required (string: Who to greet)' },
        { field: 'params.times', message: 'must be an integer, got the number 1.5' },
        { field: 'params.loud', message: 'must be a boolean, got the string "yes"' },
        { field: 'params.options', message: 'must be an object, got an array' },
        { field: 'params.extra', message: 'must be an array, got an object' },
        { field: 'params.ratio', message: 'must be a number, got the number NaN' },
      ],
    );
  });

  it('defaults are applied; undeclared params pass through; null counts as absent', async () => {
    const byPath = await sidex.sideExecution.startWithActionBlock(greetPath, { name: 'Ada', loud: null, note: 'kept' });
    expect(await resultOf(byPath)).toEqual({
      text: 'hello Ada',
      params: { name: 'Ada', times: 1, loud: false, note: 'kept' },
    });
    const byName = await sidex.actionBlock.start('greet', { name: 'Bo', times: 2, loud: true, ratio: 0.5, options: {}, extra: [] });
    expect(byName.success && byName.result).toEqual({
      text: 'HELLO BOHELLO BO',
      params: { name: 'Bo', times: 2, loud: true, ratio: 0.5, options: {}, extra: [] },
    });
  });

  it('an input of an unknown type is not checked', async () => {
    const reply = await sidex.sideExecution.startWithActionBlock(path.join(fx.blocks, 'odd-inputs'), { path: 42 });
    expect(await resultOf(reply)).toEqual({ path: 42, count: 'many' });
  });

  it('params that are not an object are refused before inputs are looked at', async () => {
    const reply = await sidex.actionBlock.start('greet', ['Ada']);
    expect(reply.success === false && reply.code).toBe('INVALID_PARAMS');
    expect(reply.success === false && reply.error).toMatch(/must be an object of named values/);
  });
});

describe('capabilities: params against inputs', () => {
  it('each type is checked; the issues name every bad field', async () => {
    await expectRefused(
      () => sidex.capability.startSkill('typed', { count: '3', ratio: 'fast', flag: 1, config: 'x', items: 'y' }),
      [
        { field: 'params.text', message: 'is required (string)' },
        { field: 'params.count', message: 'must be an integer, got the string "3"' },
        { field: 'params.ratio', message: 'must be a number, got the string "fast"' },
        { field: 'params.flag', message: 'must be a boolean, got the number 1' },
        { field: 'params.config', message: 'must be an object, got the string "x"' },
        { field: 'params.items', message: 'must be an array, got the string "y"' },
        { field: 'params.whatever', message: 'is required (any)' },
      ],
    );
  });

  it('valid params reach the capability with defaults applied, as params and as ctx.params', async () => {
    const reply = await sidex.capability.startSkill('typed', { text: 'hi', whatever: [null], ratio: 2.5, flag: false, config: { a: 1 }, items: [] });
    const params = { text: 'hi', whatever: [null], ratio: 2.5, flag: false, config: { a: 1 }, items: [], count: 3 };
    expect(await resultOf(reply, 'executionId')).toEqual({ params, ctxParams: params });
  });

  it('the same check applies to powers and talents, and to a custom executor', async () => {
    await expectRefused(() => sidex.capability.startPower('deploy', { target: 7 }), [{ field: 'params.target', message: 'must be a string, got the number 7' }]);
    const review = await sidex.capability.startTalent('review');
    const result = (await resultOf(review, 'executionId')) as { params: unknown };
    expect(result.params).toEqual({ change: 'HEAD' });
  });
});
