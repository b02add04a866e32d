// Validation of pipeline files: RocketRide's {valid, errors, warnings}, with
// an error for each mistake that stops a task and a warning for what merely
// does nothing. Nothing here starts a process.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeChain, type Component } from './fixtures/pipelines.js';
import { makeSidex } from './helpers/sidex.js';
import { ownedDir } from './helpers/pipelines.js';

const project = ownedDir('sidex-pipeline-validate-');
const blockDir = path.join(project, '.codebolt', 'actionblocks', 'shout');
fs.mkdirSync(blockDir, { recursive: true });
fs.writeFileSync(path.join(blockDir, 'actionblock.yml'), 'name: shout\nentryPoint: index.mjs\n');
fs.writeFileSync(path.join(blockDir, 'index.mjs'), 'export default ({ input }) => String(input).toUpperCase();');
const outside = ownedDir('sidex-pipeline-outside-');

const sidex = makeSidex({ projectDir: project });
const pipelines = sidex.pipelines;

const webhook: Component = { id: 'webhook_1', provider: 'webhook', config: { mode: 'Source' } };
const response = (from: string, lane = 'text'): Component => ({ id: 'response_1', provider: 'response', input: [{ lane, from }] });
const validate = (pipeline: unknown, source?: string) => pipelines.validate({ pipeline, ...(source ? { source } : {}) });
const codes = (report: { errors: Array<{ code: string }> }) => report.errors.map((e) => e.code);

describe('a valid pipeline', () => {
  it('is valid, with the source it resolved, and no errors or warnings', () => {
    expect(validate(codeChain('return input'))).toEqual({ valid: true, errors: [], warnings: [], source: 'webhook_1', pipeline: { ...codeChain('return input'), version: 1 } });
  });

  it('may come wrapped as {pipeline: {...}}, and finds its source by config.mode "Source"', () => {
    const { components } = codeChain('return input');
    expect(validate({ pipeline: { components, project_id: 'p1' } })).toMatchObject({ valid: true, source: 'webhook_1' });
  });

  it('keeps keys it does not use (editor data of RocketRide files)', () => {
    const { components } = codeChain('return input');
    const withUi = components.map((c) => ({ ...c, ui: { position: { x: 1, y: 2 } }, name: c.id }));
    expect(validate({ components: withUi, source: 'webhook_1', version: 1 }).valid).toBe(true);
  });
});

describe('errors', () => {
  it('an unknown provider lists the available ones', () => {
    const report = validate({ components: [webhook, { id: 'x', provider: 'llm_magic', input: [{ lane: 'text', from: 'webhook_1' }] }, response('x')] });
    expect(report.valid).toBe(false);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ code: 'UNKNOWN_PROVIDER', path: 'components[1].provider', component: 'x' });
    for (const provider of ['webhook', 'chat', 'dropper', 'code', 'actionblock', 'splitter', 'json_field', 'template', 'response', 'response_text']) {
      expect(report.errors[0]!.message).toContain(provider);
    }
    expect(report.errors[0]!.message).toMatch(/unknown provider "llm_magic"; available providers: /);
  });

  it('a provider named like an Object member is unknown, not a crash', () => {
    expect(codes(validate({ components: [webhook, { id: 'x', provider: 'toString' }] }))).toContain('UNKNOWN_PROVIDER');
  });

  it('a cycle is reported with its path', () => {
    const report = validate({
      components: [
        webhook,
        { id: 'a', provider: 'code', config: { code: 'return input' }, input: [{ lane: 'text', from: 'webhook_1' }, { lane: 'text', from: 'b' }] },
        { id: 'b', provider: 'code', config: { code: 'return input' }, input: [{ lane: 'text', from: 'a' }] },
        response('b'),
      ],
    });
    expect(codes(report)).toEqual(['CYCLE']);
    expect(report.errors[0]!.message).toMatch(/cycle: a -> b -> a/);
  });

  it('a missing source says how to name one and which components could be it', () => {
    const report = validate({ components: [{ id: 'w', provider: 'webhook' }, response('w')] });
    expect(codes(report)).toEqual(['MISSING_SOURCE']);
    expect(report.errors[0]!.message).toMatch(/set "source" or give one component config.mode "Source"; source components here: w \(webhook\)/);
  });

  it('a source naming no component, two marked sources, and a source that is no source', () => {
    expect(codes(validate({ components: [webhook, response('webhook_1')], source: 'nope' }))).toEqual(['UNKNOWN_SOURCE']);
    const two = { components: [webhook, { ...webhook, id: 'webhook_2' }, response('webhook_1')] };
    expect(codes(validate(two))).toEqual(['AMBIGUOUS_SOURCE']);
    expect(validate(two, 'webhook_2').valid).toBe(true);
    const notSource = validate({ components: [webhook, response('webhook_1')], source: 'response_1' });
    expect(codes(notSource)).toEqual(['NOT_A_SOURCE']);
    expect(notSource.errors[0]!.message).toMatch(/"response_1" is a response component; a source must be one of webhook, dropper, chat/);
  });

  it('lanes that connect nothing: from a component that does not exist, a lane the component never emits, a sink', () => {
    const report = validate({
      components: [
        webhook,
        { id: 'a', provider: 'code', config: { code: 'return input' }, input: [{ lane: 'text', from: 'ghost' }, { lane: 'answers', from: 'webhook_1' }] },
        { id: 'b', provider: 'splitter', input: [{ lane: 'text', from: 'webhook_1' }] },
        { id: 'c', provider: 'code', config: { code: 'return input' }, input: [{ lane: 'data', from: 'b' }, { lane: 'text', from: 'response_1' }] },
        response('a'),
      ],
    });
    expect(codes(report)).toEqual(['UNKNOWN_COMPONENT', 'LANE_NOT_EMITTED', 'LANE_NOT_EMITTED', 'LANE_NOT_EMITTED']);
    const [ghost, answers, splitterLane, fromSink] = report.errors;
    expect(ghost).toMatchObject({ path: 'components[1].input[0].from', component: 'a' });
    expect(ghost!.message).toMatch(/no component has the id "ghost"/);
    expect(answers!.message).toMatch(/lane "answers" of "webhook_1" connects nothing: webhook_1 is a webhook component and it emits only tags, text, audio, video, image, questions, data/);
    expect(splitterLane!.message).toMatch(/lane "data" of "b" connects nothing: b is a splitter component and it emits only text/);
    expect(fromSink!.message).toMatch(/lane "text" of "response_1" connects nothing: .* it emits no lanes/);
  });

  it('duplicate ids, bad configs, and a syntax error with its line and column', () => {
    const report = validate({
      components: [
        webhook,
        { id: 'a', provider: 'code', config: {}, input: [{ lane: 'text', from: 'webhook_1' }] },
        { id: 'a', provider: 'code', config: { code: 'return 1' } },
        { id: 'b', provider: 'code', config: { code: 'const x = 1;\nreturn x +;' }, input: [{ lane: 'text', from: 'webhook_1' }] },
        { id: 'c', provider: 'splitter', config: { regex: 'yes' }, input: [{ lane: 'text', from: 'webhook_1' }] },
        { id: 'd', provider: 'json_field', config: {}, input: [{ lane: 'text', from: 'webhook_1' }] },
        { id: 'e', provider: 'actionblock', config: { name: 'shout', path: 'x' }, input: [{ lane: 'text', from: 'webhook_1' }] },
        response('b'),
      ],
    });
    expect(codes(report)).toEqual(['INVALID_CONFIG', 'DUPLICATE_COMPONENT', 'SYNTAX_ERROR', 'INVALID_CONFIG', 'INVALID_CONFIG', 'INVALID_CONFIG']);
    const [noCode, duplicate, syntax, regex, field, both] = report.errors;
    expect(noCode!.message).toMatch(/components\[1\] \(id "a"\), provider code: components\[1\]\.config\.code: must be a string/);
    expect(duplicate).toMatchObject({ path: 'components[2].id' });
    expect(duplicate!.message).toMatch(/"a" is already the id of components\[1\]/);
    expect(syntax).toMatchObject({ component: 'b', line: 2, path: 'components[3].config.code' });
    expect(syntax!.message).toMatch(/Unexpected token/);
    expect(regex!.message).toMatch(/config\.regex: must be true or false/);
    expect(field!.message).toMatch(/config\.field: must be a string/);
    expect(both!.message).toMatch(/must set exactly one of "name" and "path"/);
  });

  it('an action block that is not there, or lies outside the allowed roots', () => {
    const block = (config: Record<string, unknown>) => ({ components: [webhook, { id: 'blk', provider: 'actionblock', config, input: [{ lane: 'text', from: 'webhook_1' }] }, response('blk')] });
    expect(validate(block({ name: 'shout' })).valid).toBe(true);
    expect(validate(block({ path: blockDir })).valid).toBe(true);
    const missing = validate(block({ name: 'whisper' }));
    expect(missing.errors[0]).toMatchObject({ code: 'BLOCK_NOT_FOUND', path: 'components[1].config.name', component: 'blk' });
    const escaped = validate(block({ path: outside }));
    expect(escaped.errors[0]).toMatchObject({ code: 'PATH_OUTSIDE_ROOTS', path: 'components[1].config.path' });
  });

  it('a file that is not a pipeline at all: each problem with its path', () => {
    expect(validate('a string').errors[0]).toEqual({ code: 'INVALID_PIPELINE', path: '(pipeline)', message: '(pipeline): must be a pipeline object: {components, source?, project_id?} or {pipeline: {...}}' });
    expect(validate({ source: 'x' }).errors[0]!.message).toMatch(/^components: must be an array of components/);
    expect(validate({ components: [] }).errors[0]!.message).toMatch(/components: must list at least one component/);
    const report = validate({ components: [{ provider: 'webhook' }, { id: 'r', provider: 5, input: [{ lane: 'text' }] }] });
    expect(report.errors.map((e) => e.path)).toEqual(['components[0].id', 'components[1].provider', 'components[1].input[0].from']);
  });
});

describe('warnings: what connects nothing, but stops nothing', () => {
  it('a component the source never reaches, output nobody reads, and no response', () => {
    const report = validate({
      components: [
        webhook,
        { id: 'used', provider: 'code', config: { code: 'return input' }, input: [{ lane: 'text', from: 'webhook_1' }] },
        { id: 'island', provider: 'code', config: { code: 'return input' } },
        { id: 'chat_1', provider: 'chat' },
      ],
    });
    expect(report.valid).toBe(true);
    expect(report.warnings.map((w) => [w.code, w.component])).toEqual([
      ['OUTPUT_UNREAD', 'used'],
      ['UNREACHABLE', 'island'],
      ['UNREACHABLE', 'chat_1'],
      ['NO_RESPONSE', undefined],
    ]);
    expect(report.warnings[1]!.message).toMatch(/"island" never runs: it is not reachable from the source "webhook_1"/);
  });
});

describe('use() refuses an invalid pipeline and changes nothing', () => {
  it('INVALID_PIPELINE with every error, no task and no execution', async () => {
    const before = (await sidex.engine.list({ idPrefix: 'task' })).items.length;
    const err = await pipelines.use({ pipeline: { components: [webhook, { id: 'x', provider: 'code', config: {} }] } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_PIPELINE' });
    expect((err as Error).message).toMatch(/^pipeline: 1 error: components\[1\] \(id "x"\), provider code: components\[1\]\.config\.code: /);
    expect((err as { details: { errors: unknown[] } }).details.errors).toHaveLength(1);
    // A provider sidex lacks: the components that use it, named exactly.
    const unknown = await pipelines.use({ pipeline: { components: [webhook, { id: 'x', provider: 'nope' }] } }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'UNSUPPORTED_COMPONENTS', message: 'pipeline: sidex does not provide nope, used by the component "x" (nope)' });
    expect((await sidex.engine.list({ idPrefix: 'task' })).items.length).toBe(before);
    expect((await pipelines.getTasks()).tasks).toEqual([]);
  });

  it('validate() itself checks its arguments', () => {
    expect(() => pipelines.validate({})).toThrow(expect.objectContaining({ code: 'INVALID_PIPELINE', message: expect.stringMatching(/^pipeline: is required/) }));
    expect(() => pipelines.validate({ pipeline: {}, extra: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
