import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeSidex, tempDir } from './helpers/sidex.js';

const project = tempDir('sidex-perm-');
const blockDir = path.join(project, '.codebolt', 'actionblocks', 'reads-own-file');
fs.mkdirSync(blockDir, { recursive: true });
fs.writeFileSync(path.join(blockDir, 'actionblock.yml'), 'name: reads-own-file\nentryPoint: index.mjs\n');
fs.writeFileSync(path.join(blockDir, 'data.txt'), 'block data');
fs.writeFileSync(path.join(blockDir, 'index.mjs'), "import fs from 'node:fs'; export default () => fs.readFileSync('data.txt', 'utf8');");
const brokenDir = path.join(project, '.codebolt', 'actionblocks', 'broken');
fs.mkdirSync(brokenDir, { recursive: true });
fs.writeFileSync(path.join(brokenDir, 'actionblock.yml'), 'name: broken\nentryPoint: index.mjs\n');
fs.writeFileSync(path.join(brokenDir, 'index.mjs'), 'export default () => { return 1 +; };');

describe("Node's permission model", () => {
  const sidex = makeSidex({ projectDir: project, engine: { permissions: {} } });
  const api = sidex.sideExecution;

  it("an execution cannot read another's scratch directory, but works in its own", async () => {
    const owner = await api.startWithCode(`
      require('node:fs').writeFileSync('secret.txt', 'owner only');
      console.log(process.cwd());
      await new Promise(() => {});
    `);
    if (!owner.success) throw new Error(owner.error);
    let ownerDir = '';
    for (let i = 0; i < 100 && !ownerDir; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const status = await api.getStatus(owner.sideExecutionId);
      ownerDir = status.success ? status.output.trim() : '';
    }
    expect(fs.readFileSync(path.join(ownerDir, 'secret.txt'), 'utf8')).toBe('owner only');

    const thief = await api.startWithCode('const fs = require("node:fs"); try { return fs.readFileSync(file, "utf8"); } catch (e) { return e.code; }', {
      file: path.join(ownerDir, 'secret.txt'),
    });
    if (!thief.success) throw new Error(thief.error);
    const stolen = await api.wait(thief.sideExecutionId);
    expect(stolen.success && stolen.result).toBe('ERR_ACCESS_DENIED');
    expect(stolen.success && stolen.error).toBeUndefined(); // no experimental notice on stderr
    await api.stop(owner.sideExecutionId);
  });

  it('child processes are refused unless allowed', async () => {
    const started = await api.startWithCode('try { require("node:child_process").spawnSync("true"); return "spawned"; } catch (e) { return e.code; }');
    if (!started.success) throw new Error(started.error);
    const done = await api.wait(started.sideExecutionId);
    expect(done.success && done.result).toBe('ERR_ACCESS_DENIED');
  });

  it('a block with a syntax error still fails its start with SYNTAX_ERROR', async () => {
    const reply = await api.startWithActionBlock(brokenDir);
    expect(reply.success).toBe(false);
    expect(!reply.success && reply.code).toBe('SYNTAX_ERROR');
  });

  it('a block runs in its own directory and may read its files', async () => {
    const started = await api.startWithActionBlock(blockDir);
    if (!started.success) throw new Error(started.error);
    const done = await api.wait(started.sideExecutionId);
    expect(done.success && done.result).toBe('block data');
  });

  it('a cooperative stop ends by itself, not by SIGKILL after the grace, though /proc is not readable', async () => {
    const started = await api.startWithCode("ctx.onStop(() => 'partial'); console.log('ready'); await new Promise(() => {});");
    if (!started.success) throw new Error(started.error);
    for (let i = 0; i < 200; i++) {
      const status = await api.getStatus(started.sideExecutionId);
      if (status.success && status.output.includes('ready')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const { record } = await sidex.engine.stop(started.sideExecutionId, { graceMs: 5000 });
    expect(record).toMatchObject({ status: 'stopped', result: 'partial', forced: false });
    expect(record.stderr.text).toBe('');
  });
});

describe('permissions that allow child processes', () => {
  const sidex = makeSidex({ engine: { permissions: { allowChildProcess: true } } });
  it('lets the execution spawn', async () => {
    const started = await sidex.sideExecution.startWithCode('return require("node:child_process").spawnSync("true").status;');
    if (!started.success) throw new Error(started.error);
    const done = await sidex.sideExecution.wait(started.sideExecutionId);
    expect(done.success && done.result).toBe(0);
  });
});
