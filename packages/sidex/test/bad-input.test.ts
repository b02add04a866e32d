import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSidex, tempDir } from './helpers/sidex.js';

const project = tempDir('sidex-bad-');
const blocks = path.join(project, '.codebolt', 'actionblocks');
fs.mkdirSync(path.join(blocks, 'no-entry'), { recursive: true });
fs.writeFileSync(path.join(blocks, 'no-entry', 'actionblock.yml'), 'name: no-entry\nentryPoint: dist/index.js\n');
fs.mkdirSync(path.join(blocks, 'escapes'), { recursive: true });
fs.writeFileSync(path.join(blocks, 'escapes', 'actionblock.yml'), 'name: escapes\nentryPoint: ../../../../etc/passwd\n');
const outside = tempDir('sidex-outside-');
fs.writeFileSync(path.join(outside, 'index.js'), 'export default () => "should never run"');
fs.symlinkSync(outside, path.join(blocks, 'symlinked-out'));
// A block inside the roots whose entry file is a symlink to code outside them.
fs.mkdirSync(path.join(blocks, 'entry-links-out'), { recursive: true });
fs.writeFileSync(path.join(blocks, 'entry-links-out', 'actionblock.yml'), 'name: entry-links-out\nentryPoint: index.js\n');
fs.symlinkSync(path.join(outside, 'index.js'), path.join(blocks, 'entry-links-out', 'index.js'));
fs.mkdirSync(path.join(blocks, 'plain'), { recursive: true });
fs.writeFileSync(path.join(blocks, 'plain', 'actionblock.yml'), 'name: plain\nentryPoint: index.js\n');
fs.writeFileSync(path.join(blocks, 'plain', 'index.js'), 'module.exports = () => 1');

const sidex = makeSidex({ projectDir: project, limits: { maxParamsBytes: 1024 } });
const api = sidex.sideExecution;

const circular: Record<string, unknown> = {};
circular.self = circular;

type Call = [string, () => Promise<{ success: boolean; code?: string; error?: string }>, string, RegExp];

// Each: what is sent, the code expected, and what the message must name.
const calls: Call[] = [
  ['empty code', () => api.startWithCode(''), 'INVALID_CODE', /inlineCode: must not be empty/],
  ['blank code', () => api.startWithCode('  \n '), 'INVALID_CODE', /inlineCode: must not be empty/],
  ['code that is a number', () => api.startWithCode(42), 'INVALID_CODE', /inlineCode: must be a string/],
  ['code that is null', () => api.startWithCode(null), 'INVALID_CODE', /inlineCode/],
  ['params that are an array', () => api.startWithCode('return 1', [1, 2]), 'INVALID_PARAMS', /params/],
  ['params that are a string', () => api.startWithCode('return 1', 'x'), 'INVALID_PARAMS', /params/],
  ['params with a BigInt', () => api.startWithCode('return 1', { n: 1n }), 'INVALID_PARAMS', /params: not JSON-serializable.*BigInt/],
  ['params that are circular', () => api.startWithCode('return 1', circular), 'INVALID_PARAMS', /params: not JSON-serializable/],
  ['params with a function', () => api.startWithCode('return 1', { f: () => 1 }), 'INVALID_PARAMS', /"f" is a function/],
  ['params over the size limit', () => api.startWithCode('return 1', { big: 'x'.repeat(2000) }), 'PARAMS_TOO_LARGE', /exceeds the limit of 1024 bytes/],
  ['a negative timeout', () => api.startWithCode('return 1', {}, -5), 'INVALID_TIMEOUT', /timeout: must not be negative/],
  ['a NaN timeout', () => api.startWithCode('return 1', {}, NaN), 'INVALID_TIMEOUT', /timeout: must be a finite number/],
  ['an infinite timeout', () => api.startWithCode('return 1', {}, Infinity), 'INVALID_TIMEOUT', /timeout/],
  ['a timeout that is a string', () => api.startWithCode('return 1', {}, '100'), 'INVALID_TIMEOUT', /timeout: must be a number/],
  ['an unknown start option', () => api.startWithCode('return 1', {}, 100, { nope: true }), 'INVALID_ARGUMENT', /options/],
  ['a filename that is not a string', () => api.startWithCode('return 1', {}, 100, { filename: 5 }), 'INVALID_ARGUMENT', /options\.filename: must be a string/],
  ['an empty filename', () => api.startWithCode('return 1', {}, 100, { filename: '' }), 'INVALID_ARGUMENT', /options\.filename: must not be empty/],
  ['a filename with a line break', () => api.startWithCode('return 1', {}, 100, { filename: 'a.js\n    at evil.js:1:1' }), 'INVALID_ARGUMENT', /options\.filename: must not contain control characters/],
  ['a filename for an action block', () => api.startWithActionBlock(path.join(blocks, 'plain'), {}, undefined, { filename: 'x.js' }), 'INVALID_ARGUMENT', /options\.filename: names inline code/],
  ['an export in inline code', () => api.startWithCode('const a = 1;\nexport { a };', {}, undefined, { filename: 'exp.js' }), 'SYNTAX_ERROR', /^exp\.js:2:1: `export` is not supported in inline code.*`return` the result instead/],
  ['a static import in a block of inline code', () => api.startWithCode("if (true) { import fs from 'node:fs'; }"), 'SYNTAX_ERROR', /^inline:1:13: /],
  ['a block path outside the roots', () => api.startWithActionBlock('/etc'), 'PATH_OUTSIDE_ROOTS', /^actionBlockPath: path "\/etc" is outside the allowed roots/],
  ['a block path that climbs out', () => api.startWithActionBlock('../../../../../../tmp'), 'PATH_OUTSIDE_ROOTS', /outside the allowed roots/],
  ['a symlinked block leading out', () => api.startWithActionBlock(path.join(blocks, 'symlinked-out')), 'PATH_OUTSIDE_ROOTS', /outside the allowed roots/],
  ['a block whose entry escapes', () => api.startWithActionBlock(path.join(blocks, 'escapes')), 'PATH_OUTSIDE_ROOTS', /entry .* is outside the block directory/],
  ['a block whose entry is a symlink out of it', () => api.startWithActionBlock(path.join(blocks, 'entry-links-out')), 'PATH_OUTSIDE_ROOTS', /entry "index\.js" is outside the block directory/],
  ['a block with no entry', () => api.startWithActionBlock(path.join(blocks, 'no-entry')), 'BLOCK_NO_ENTRY', /actionblock\.yml: entry file "dist\/index\.js" does not exist/],
  ['a block that does not exist', () => api.startWithActionBlock(path.join(blocks, 'missing')), 'BLOCK_NOT_FOUND', /no action block directory/],
  ['an empty block path', () => api.startWithActionBlock(''), 'INVALID_ARGUMENT', /actionBlockPath: must not be empty/],
  ['status of an unknown id', () => api.getStatus('side_1_00000000'), 'EXECUTION_NOT_FOUND', /no execution with id "side_1_00000000"/],
  ['status with a non-string id', () => api.getStatus({ id: 1 }), 'INVALID_ID', /must be a string/],
  ['stop of an unknown id', () => api.stop('nope'), 'EXECUTION_NOT_FOUND', /no execution with id "nope"/],
  ['stop with a negative grace', () => api.stop('nope', { graceMs: -1 }), 'INVALID_ARGUMENT', /graceMs: must not be negative/],
  // A grace of 1e308 held the stop open without end, its execution in `stopping`.
  ['stop with a grace past ten minutes', () => api.stop('nope', { graceMs: 1e308 }), 'INVALID_ARGUMENT', /graceMs: must be at most 600000/],
  ['stop with a grace of half a millisecond', () => api.stop('nope', { graceMs: 0.5 }), 'INVALID_ARGUMENT', /graceMs: must be a whole number of milliseconds/],
  ['wait on an unknown id', () => api.wait('nope'), 'EXECUTION_NOT_FOUND', /no execution/],
  ['a list filter of the wrong shape', () => api.list({ status: 'sleeping' }), 'INVALID_ARGUMENT', /status/],
  ['a forged cursor', () => api.list({ cursor: 'garbage' }), 'INVALID_CURSOR', /cursor/],
  ['listActionBlocks outside the roots', () => api.listActionBlocks('/'), 'PATH_OUTSIDE_ROOTS', /outside the allowed roots/],
];

describe('bad input gets a clear error with a code and changes nothing', () => {
  it.each(calls)('%s', async (_what, call, code, message) => {
    const before = await api.list({ limit: 1000 });
    const reply = await call();
    expect(reply.success).toBe(false);
    expect(reply.code).toBe(code);
    expect(reply.error).toMatch(message);
    const after = await api.list({ limit: 1000 });
    expect(after).toEqual(before);
    expect(sidex.engine.runningCount).toBe(0);
  });

  it('listing blocks reports broken ones as warnings naming file and field, and still lists the good ones', async () => {
    fs.mkdirSync(path.join(blocks, 'good'), { recursive: true });
    fs.writeFileSync(path.join(blocks, 'good', 'actionblock.yml'), 'name: good\nentryPoint: index.js\n');
    fs.writeFileSync(path.join(blocks, 'good', 'index.js'), 'export default () => 1');
    fs.mkdirSync(path.join(blocks, 'bad-yaml'), { recursive: true });
    fs.writeFileSync(path.join(blocks, 'bad-yaml', 'actionblock.yml'), 'name: [unclosed\n');
    const reply = await api.listActionBlocks();
    expect(reply.success).toBe(true);
    if (!reply.success) return;
    expect(reply.actionBlocks.map((b) => b.name)).toContain('good');
    const messages = reply.warnings.map((w) => `${w.file}: ${w.message}`).join('\n');
    expect(messages).toMatch(/bad-yaml\/actionblock\.yml: .*not valid YAML/);
    expect(messages).toMatch(/no-entry\/actionblock\.yml: .*entry file "dist\/index\.js" does not exist/);
    expect(messages).toMatch(/symlinked-out: .*outside the allowed roots/);
  });
});
