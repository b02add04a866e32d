// A graceful stop unwinds code that never looked at ctx.signal: every await it
// is suspended in rejects with an AbortError, so its catch and finally blocks
// run before the runtime exits. Inline code and action blocks (CommonJS and
// ES modules) alike, in a real engine with real runtimes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBlock } from './helpers/write-block.js';
import { eventually, makeSidex, tempDir } from './helpers/sidex.js';

const projectDir = tempDir('sidex-unwind-');
const cjs = writeBlock(
  projectDir,
  'cleanup-cjs',
  `module.exports = async function () {
  try {
    console.log('ready');
    await new Promise((r) => setTimeout(r, 30000));
    return 'finished';
  } finally {
    console.log('block cleaned up');
  }
};
`,
);
const esm = writeBlock(projectDir, 'cleanup-esm', '');
fs.rmSync(path.join(esm, 'index.js'));
fs.writeFileSync(path.join(esm, 'actionblock.yml'), 'name: cleanup-esm\nversion: 1.0.0\nentryPoint: index.mjs\n');
fs.writeFileSync(
  path.join(esm, 'index.mjs'),
  `export default async function () {
  try {
    console.log('ready');
    for await (const tick of ticks()) void tick;
  } finally {
    console.log('esm block cleaned up');
  }
}
async function* ticks() { for (;;) yield await new Promise((r) => setTimeout(r, 10)); }
`,
);
// A block whose error comes after an await: its stack must point at the line and column the user wrote.
const thrower = writeBlock(projectDir, 'thrower', `module.exports = async function () {\n  await Promise.resolve(1); await Promise.resolve(2); throw new Error('from the block');\n};\n`);
void thrower;
// The same as an ES module (rewritten by the loader hook, on its own thread).
const esmThrower = writeBlock(projectDir, 'esm-thrower', '');
fs.rmSync(path.join(esmThrower, 'index.js'));
fs.writeFileSync(path.join(esmThrower, 'actionblock.yml'), 'name: esm-thrower\nversion: 1.0.0\nentryPoint: index.mjs\n');
fs.writeFileSync(path.join(esmThrower, 'index.mjs'), `export default async function () {\n  await Promise.resolve(1); await Promise.resolve(2); throw new Error('from the esm block');\n}\n`);

const sidex = makeSidex({ projectDir, engine: { poolSize: 2 } });
const api = sidex.sideExecution;

async function startedReady(start: () => Promise<{ success: boolean; sideExecutionId?: string; error?: string }>): Promise<string> {
  const started = await start();
  if (!started.success || !started.sideExecutionId) throw new Error(started.error);
  const id = started.sideExecutionId;
  expect(await eventually(async () => ((await api.getStatus(id)) as { output?: string }).output?.includes('ready') ?? false, 10_000)).toBe(true);
  return id;
}

const stopOf = async (id: string) => {
  const reply = await api.stop(id, { graceMs: 30_000 });
  if (!reply.success) throw new Error(reply.error);
  return reply;
};

describe('a graceful stop unwinds the code', () => {
  it("seed 000 example 4's code: the finally block runs, its line is in the stop's output, and the stop did not need SIGKILL", async () => {
    const id = await startedReady(() =>
      api.startWithCode(`
        // Simulate resource usage
        const resources = ['resource1', 'resource2', 'resource3'];
        console.log('ready');
        try {
          await new Promise(resolve => setTimeout(resolve, 30000));
          return { success: true };
        } finally {
          console.log('Cleaning up resources...');
        }
      `),
    );
    const reply = await stopOf(id);
    expect(reply.status).toBe('stopped');
    expect(reply.forced).toBe(false);
    expect(reply.output).toContain('Cleaning up resources...');
  });

  it('the awaits reject with an AbortError, the reason of ctx.signal; what the code returns from there is the partial result', async () => {
    const id = await startedReady(() =>
      api.startWithCode(`
        console.log('ready');
        try { await new Promise(() => {}); }
        catch (e) { return { name: e.name, message: e.message, isReason: e === ctx.signal.reason, aborted: ctx.signal.aborted }; }
      `),
    );
    const reply = await stopOf(id);
    expect(reply.result).toEqual({ name: 'AbortError', message: 'execution stopped', isReason: true, aborted: true });
  });

  it('code awaiting in a loop: the loop ends at the stop, nested finally blocks run in order, nothing is forced', async () => {
    const id = await startedReady(() =>
      api.startWithCode(`
        let rounds = 0;
        try {
          try {
            for (;;) { await new Promise((r) => setTimeout(r, 2)); if (++rounds === 3) console.log('ready'); }
          } finally { console.log('inner finally'); }
        } finally { console.log('outer finally after ' + (rounds > 0 ? 'some' : 'no') + ' rounds'); }
      `),
    );
    const began = Date.now();
    const reply = await stopOf(id);
    // Far inside the 30 s grace: the unwinding, not the grace, ended it (its speed is measured by the bench).
    expect(Date.now() - began).toBeLessThan(5000);
    expect(reply.forced).toBe(false);
    expect(reply.output).toMatch(/ready\ninner finally\nouter finally after some rounds\n$/);
  });

  it('awaits in finally blocks and onStop handlers work as ever: cleanup may await', async () => {
    const id = await startedReady(() =>
      api.startWithCode(`
        ctx.onStop(async () => { await new Promise((r) => setTimeout(r, 50)); console.log('onStop awaited'); });
        console.log('ready');
        try { await new Promise(() => {}); }
        finally { await new Promise((r) => setTimeout(r, 50)); console.log('finally awaited'); }
      `),
    );
    const reply = await stopOf(id);
    expect(reply.forced).toBe(false);
    expect(reply.output).toContain('finally awaited');
    expect(reply.output).toContain('onStop awaited');
  });

  it('code that swallows the AbortError and awaits on is not stopped by the unwinding: SIGKILL after the grace', async () => {
    const id = await startedReady(() =>
      api.startWithCode(`
        console.log('ready');
        for (;;) { try { await new Promise((r) => setTimeout(r, 5)); } catch { console.log('swallowed'); } }
      `),
    );
    const reply = await api.stop(id, { graceMs: 300 });
    if (!reply.success) throw new Error(reply.error);
    expect(reply.forced).toBe(true);
    expect(reply.output).toContain('swallowed');
  });

  it('precedence of the partial result: onStop handlers, then what the code returned, then the last checkpoint', async () => {
    const both = await startedReady(() =>
      api.startWithCode(`ctx.checkpoint('checkpoint'); ctx.onStop(() => 'from onStop'); console.log('ready'); try { await new Promise(() => {}); } catch { return 'from the code'; }`),
    );
    expect((await stopOf(both)).result).toBe('from onStop');
    const code = await startedReady(() => api.startWithCode(`ctx.checkpoint('checkpoint'); console.log('ready'); try { await new Promise(() => {}); } catch { return 'from the code'; }`));
    expect((await stopOf(code)).result).toBe('from the code');
    const checkpoint = await startedReady(() => api.startWithCode(`ctx.checkpoint('checkpoint'); console.log('ready'); await new Promise(() => {});`));
    expect((await stopOf(checkpoint)).result).toBe('checkpoint');
  });

  it('code that reads ctx.signal handles the stop itself: its awaits are left alone and it returns its own partial result', async () => {
    const id = await startedReady(() =>
      api.startWithCode(`
        const { signal } = ctx;
        let i = 0;
        console.log('ready');
        while (!signal.aborted) { try { await new Promise((r) => setTimeout(r, 5)); } catch { return 'an await was rejected'; } i++; }
        return { rounds: i > 0 };
      `),
    );
    expect((await stopOf(id)).result).toEqual({ rounds: true });
  });

  it('a CommonJS action block: its finally block runs', async () => {
    const id = await startedReady(() => api.startWithActionBlock(cjs));
    const reply = await stopOf(id);
    expect(reply.forced).toBe(false);
    expect(reply.output).toContain('block cleaned up');
  });

  it('an ES module action block in a for await loop: its finally block runs', async () => {
    const id = await startedReady(() => api.startWithActionBlock(esm));
    const reply = await stopOf(id);
    expect(reply.forced).toBe(false);
    expect(reply.output).toContain('esm block cleaned up');
  });

  it("a rewritten block's stack points at the line and column the user wrote", async () => {
    const started = await api.startWithActionBlock('.codebolt/actionblocks/thrower');
    if (!started.success) throw new Error(started.error);
    const done = await api.wait(started.sideExecutionId);
    if (!done.success) throw new Error(done.error);
    expect(done.failure?.message).toBe('from the block');
    expect(done.failure?.stack).toContain(`${path.join(thrower, 'index.js')}:2:61`);
  });

  it("a rewritten ES module block's stack points at the line and column the user wrote", async () => {
    const started = await api.startWithActionBlock('.codebolt/actionblocks/esm-thrower');
    if (!started.success) throw new Error(started.error);
    const done = await api.wait(started.sideExecutionId);
    if (!done.success) throw new Error(done.error);
    expect(done.failure?.message).toBe('from the esm block');
    expect(done.failure?.stack).toContain(`Error: from the esm block\n    at default (${path.join(esmThrower, 'index.mjs')}:2:61)`);
  });

  it('inline code keeps its line numbers', async () => {
    const started = await api.startWithCode(`await null;\nawait Promise.resolve(1);\nthrow new Error('line three');`);
    if (!started.success) throw new Error(started.error);
    const done = await api.wait(started.sideExecutionId);
    if (!done.success) throw new Error(done.error);
    expect(done.failure?.stack).toContain("at inline:3:7");
  });

  it('a busy loop that never awaits is still ended by SIGKILL after the grace', async () => {
    const id = await startedReady(() => api.startWithCode(`console.log('ready'); try { for (;;) {} } finally { console.log('never'); }`));
    const reply = await api.stop(id, { graceMs: 200 });
    if (!reply.success) throw new Error(reply.error);
    expect(reply.forced).toBe(true);
    expect(reply.output).not.toContain('never');
  });
});
