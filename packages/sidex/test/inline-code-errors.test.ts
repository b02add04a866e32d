// Inline code's errors point at the code the user wrote: the file it came from
// (options.filename, else "inline"), its own lines and columns through the
// wrapper and the rewrites (static imports, unwinding awaits). Over REST, the
// Codebolt dialect, and the real `sidex` binary, embedded and remote.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawSocket } from './helpers/raw-ws.js';
import { api, runCli, startTestServer } from './helpers/server.js';
import { untilEnded } from './helpers/sidex.js';

const server = await startTestServer();
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
const post = (route: string, body: unknown) => api(server, route, { method: 'POST', body: JSON.stringify(body) }).then(json);
const get = (route: string) => api(server, route).then(json);

/** Starts inline code over REST and answers its record once it has ended. */
async function restRun(inlineCode: string, options: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const { status, body } = await post('/v1/executions', { inlineCode, options });
  expect(status, JSON.stringify(body)).toBe(201);
  const id = body.sideExecutionId as string;
  await untilEnded(async () => (await get(`/v1/executions/${id}`)).body.status);
  return (await get(`/v1/executions/${id}`)).body;
}

// A throw on line 3 after awaits on the lines above and before it on the same line: every one is rewritten.
const THROWS_ON_LINE_3 = 'const a = 1;\nawait null; await Promise.resolve(a);\nawait null; throw new Error("three");\n';

describe('REST: syntax errors at the start', () => {
  it("SYNTAX_ERROR names the caller's file, line and column; details in the user's numbering", async () => {
    const { status, body } = await post('/v1/executions', { inlineCode: 'await null;\nconst b = ;\n', options: { filename: 'job.js' } });
    expect(status).toBe(400);
    expect(body).toMatchObject({ success: false, code: 'SYNTAX_ERROR', error: "job.js:2:11: Unexpected token ';'", details: { filename: 'job.js', line: 2, column: 11 } });
  });

  it('a character V8 draws no caret under (outside ASCII) is placed where it is, not at column 1', async () => {
    for (const [code, line, column] of [['return § 1', 1, 8], ['const a = 1;\nconst b = a ¤ 2;', 2, 13]] as const) {
      const { body } = await post('/v1/executions', { inlineCode: code });
      expect(body, code).toMatchObject({ code: 'SYNTAX_ERROR', details: { filename: 'inline', line, column } });
    }
  });

  it('without a filename the code is called inline; line 1 columns are the user\'s, not the wrapper\'s', async () => {
    const { body } = await post('/v1/executions', { inlineCode: 'let x = ;' });
    expect(body).toMatchObject({ code: 'SYNTAX_ERROR', error: "inline:1:9: Unexpected token ';'", details: { filename: 'inline', line: 1, column: 9 } });
  });

  it('code that ends too early: "Unexpected end of input" where it ends, not in the wrapper after it', async () => {
    const { body } = await post('/v1/executions', { inlineCode: 'const a = 1;\nlet b = [1,\n\n', options: { filename: 'short.js' } });
    expect(body).toMatchObject({ code: 'SYNTAX_ERROR', error: 'short.js:2:12: Unexpected end of input', details: { line: 2, column: 12 } });
  });

  it('a brace that closes the function early is found where the user wrote it', async () => {
    const { body } = await post('/v1/executions', { inlineCode: 'return 1;\n}\n' });
    expect(body).toMatchObject({ code: 'SYNTAX_ERROR', details: { line: 2, column: 1 } });
  });

  it('a syntax error in code with imports is at its own place, not at the import', async () => {
    const code = "import path from 'node:path';\nawait null; const x = await path.basename('a') +;\n";
    const { body } = await post('/v1/executions', { inlineCode: code });
    expect(body).toMatchObject({ code: 'SYNTAX_ERROR', details: { line: 2, column: 49 } });
    expect(body.error).toBe('inline:2:49: Unexpected token');
  });

  it('an error V8 finds after a rewritten import and awaits is mapped to its own place', async () => {
    const code = "import path from 'node:path';\nawait null; const x = await path.basename('a');\nawait null; let x = 2;\n";
    const { body } = await post('/v1/executions', { inlineCode: code });
    expect(body).toMatchObject({ code: 'SYNTAX_ERROR', error: "inline:3:17: Identifier 'x' has already been declared", details: { line: 3, column: 17 } });
  });

  it('export is refused with what to do instead, at its place', async () => {
    const { status, body } = await post('/v1/executions', { inlineCode: 'const x = 1;\nexport default x;\n', options: { filename: 'exp.js' } });
    expect(status).toBe(400);
    expect(body).toMatchObject({ code: 'SYNTAX_ERROR', details: { filename: 'exp.js', line: 2, column: 1 } });
    expect(body.error).toMatch(/^exp\.js:2:1: `export` is not supported in inline code.*`return` the result instead$/);
    expect((await post('/v1/executions', { inlineCode: 'export const y = 2;' })).body.error).toMatch(/^inline:1:1: `export` is not supported/);
  });
});

describe('REST: a failed record', () => {
  it("its stack names the user's file:line:col past rewritten awaits, without the runtime's frames", async () => {
    const record = await restRun(THROWS_ON_LINE_3, { filename: 'job.js' });
    expect(record.status).toBe('failed');
    expect(record.failure.stack).toMatch(/^Error: three\n {4}at job\.js:3:19\n/);
    expect(record.failure.stack).not.toMatch(/inline\.js|runtime[\\/]/);
  });

  it('a throw in a function and in a timer callback: every frame of the code is mapped', async () => {
    const code = 'await null;\nfunction boom() { await0(); }\nconst await0 = () => { throw new RangeError("deep"); };\nawait null; setTimeout(() => boom(), 1); await new Promise((r) => setTimeout(r, 5000));\n';
    const record = await restRun(code, { filename: 'deep.js' });
    expect(record.failure).toMatchObject({ code: 'UNCAUGHT_ERROR', message: 'deep' });
    expect(record.failure.stack).toMatch(/RangeError: deep\n {4}at await0 \(deep\.js:3:30\)\n {4}at boom \(deep\.js:2:19\)\n {4}at Timeout\._onTimeout \(deep\.js:4:30\)/);
  });

  it('resume keeps the filename', async () => {
    const first = await restRun('throw new Error("again")', { filename: 'again.js' });
    const { body } = await post(`/v1/executions/${first.sideExecutionId}/resume`, {});
    const id = body.sideExecutionId as string;
    await untilEnded(async () => (await get(`/v1/executions/${id}`)).body.status);
    expect((await get(`/v1/executions/${id}`)).body.failure.stack).toContain('at again.js:1:7');
  });
});

describe('static imports in inline code', () => {
  it('default, named (renamed), namespace, default with namespace, side-effect, multi-line', async () => {
    const code = [
      "import path from 'node:path';",
      "import { join as j, sep } from 'node:path';",
      "import * as os from 'node:os';",
      "import fs, * as fsAll from 'node:fs';",
      "import 'node:util';",
      'import {',
      '  basename,',
      '  dirname as dir,',
      "} from 'node:path';",
      'return [path.basename("/a/b.txt"), j("a", "b"), sep, typeof os.cpus, fsAll.default === fs, basename("/x/y"), dir("/x/y")];',
    ].join('\n');
    const record = await restRun(code);
    expect(record.failure).toBeUndefined();
    expect(record.result).toEqual(['b.txt', 'a/b', '/', 'function', true, 'y', '/x']);
  });

  it('imports run where they stand: a string-named import and a JSON import with attributes, of files the code wrote first', async () => {
    const code = [
      "require('node:fs').writeFileSync(__dirname + '/x.mjs', 'const v = 3; export { v as \"the value\" };');",
      "require('node:fs').writeFileSync(__dirname + '/d.json', '[1, 2]');",
      "import { 'the value' as v } from './x.mjs';",
      "import d from './d.json' with { type: 'json' };",
      'return [v, d];',
    ].join('\n');
    const record = await restRun(code);
    expect(record.failure).toBeUndefined();
    expect(record.result).toEqual([3, [1, 2]]);
  });

  it('a module that cannot be found fails the run, naming it', async () => {
    const record = await restRun("import nothing from 'no-such-package-anywhere';\nreturn nothing;");
    expect(record.status).toBe('failed');
    expect(record.failure.message).toMatch(/no-such-package-anywhere/);
  });

  it('a runtime error after imports is at its own line (imports keep every line where it was)', async () => {
    const record = await restRun("import {\n  join,\n} from 'node:path';\nawait null; null.x;\n", { filename: 'after.js' });
    expect(record.failure.stack).toContain('at after.js:4:18');
  });
});

describe('the Codebolt dialect', () => {
  const sockets: RawSocket[] = [];
  afterAll(() => sockets.forEach((s) => s.close()));
  const se = async (action: string, fields: Record<string, unknown>) => {
    if (!sockets[0]) sockets.push(await RawSocket.open(server.wsUrl, server.apiKey, 'header'));
    return sockets[0]!.request({ type: 'sideExecution', action, ...fields });
  };

  it("SYNTAX_ERROR details in the user's numbering, and a failed record's stack at the user's line", async () => {
    const refused = await se('startSideExecution', { inlineCode: 'await null;\n\nconst = 2;', options: { filename: 'cb.js' } });
    expect(refused).toMatchObject({ success: false, code: 'SYNTAX_ERROR', details: { filename: 'cb.js', line: 3, column: 7 } });
    expect(refused.error).toBe("cb.js:3:7: Unexpected token '='");
    const started = await se('startSideExecution', { inlineCode: THROWS_ON_LINE_3 });
    expect(started.success).toBe(true);
    const id = started.sideExecutionId as string;
    await untilEnded(async () => (await se('getSideExecutionStatus', { sideExecutionId: id })).status);
    const status = await se('getSideExecutionStatus', { sideExecutionId: id });
    expect(status.failure.stack).toMatch(/^Error: three\n {4}at inline:3:19\n/);
  });

  it('options.filename must be a name to show', async () => {
    const refused = await se('startSideExecution', { inlineCode: 'return 1', options: { filename: 'a\nb' } });
    expect(refused).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
    expect(refused.error).toMatch(/options\.filename: must not contain control characters/);
  });
});

describe('the sidex binary shows file:line:col and the code frame, without --json', () => {
  const dir = fs.mkdtempSync(path.join(server.root, 'cli-'));
  const write = (name: string, code: string) => fs.writeFileSync(path.join(dir, name), code);
  write('syntax.js', 'const a = 1;\nconst b = ;\n');
  write('throws.js', THROWS_ON_LINE_3);
  write('imports.js', "import path from 'node:path';\nimport { sep } from 'node:path';\nimport * as os from 'node:os';\nimport 'node:fs';\nreturn [path.basename('/a/b.txt'), sep, typeof os.cpus];\n");
  write('exports.js', 'const x = 1;\nexport { x };\n');
  const embedded = (args: string[], input?: string) =>
    runCli([...args, '--data-dir', path.join(dir, '.sidex')], { cwd: dir, timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
  const remote = (args: string[]) => runCli(args, { cwd: dir, env: { SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey } });
  const SYNTAX_FRAME = "syntax.js:2:11\nconst b = ;\n          ^\nsidex: syntax.js:2:11: Unexpected token ';' [SYNTAX_ERROR]\n";
  const THROW_FRAME = 'throws.js:3:19\nawait null; throw new Error("three");\n                  ^\n\nError: three\n    at throws.js:3:19\n';

  it.each([
    ['embedded', embedded],
    ['on a server', remote],
  ])('sidex run (%s): a syntax error at line 2, a throw at line 3, static imports, an export', async (_where, sidex) => {
    const syntax = await sidex(['run', 'syntax.js']);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain(SYNTAX_FRAME);
    const thrown = await sidex(['run', 'throws.js']);
    expect(thrown.code).toBe(1);
    expect(thrown.stderr).toContain(THROW_FRAME);
    expect(thrown.stderr).toContain('sidex: failed: three [UNCAUGHT_ERROR]');
    const imports = await sidex(['run', 'imports.js']);
    // Nothing but the line saying where it ran (embedded runs say so).
    expect(imports.stderr.replace(/^sidex: running on an embedded engine .*\n/, '')).toBe('');
    expect(JSON.parse(imports.stdout)).toEqual(['b.txt', '/', 'function']);
    expect(imports.code).toBe(0);
    const exported = await sidex(['run', 'exports.js']);
    expect(exported.code).toBe(2);
    expect(exported.stderr).toContain('exports.js:2:1\nexport { x };\n^\nsidex: exports.js:2:1: `export` is not supported in inline code');
  });

  it('code from stdin is called inline', async () => {
    const thrown = await embedded(['run', '-'], 'await null;\nthrow new Error("piped");');
    expect(thrown.code).toBe(1);
    expect(thrown.stderr).toContain('inline:2:7\nthrow new Error("piped");\n      ^\n\nError: piped\n    at inline:2:7\n');
  });

  it('sidex start --file --wait shows the same; --json keeps the stack in the record only', async () => {
    const waited = await remote(['start', '--wait', '--file', 'throws.js']);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain(THROW_FRAME);
    const syntax = await remote(['start', '--file', 'syntax.js']);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain(SYNTAX_FRAME);
    const machine = await remote(['run', 'throws.js', '--json']);
    expect(machine.code).toBe(1);
    expect(machine.stderr).not.toContain('^');
    expect(JSON.parse(machine.stdout.trim().split('\n').pop()!).failure.stack).toContain('at throws.js:3:19');
  });
});
