import { describe, expect, it } from 'vitest';
import { startReady } from './helpers/ready.js';
import { makeSidex, survivors } from './helpers/sidex.js';

const sidex = makeSidex();
const { engine } = sidex;

describe('a two-way channel between the caller and the running code', () => {
  it('engine.sendMessage reaches ctx.onMessage; ctx.send emits a message event', async () => {
    const id = await startReady(sidex, `ctx.onMessage((v) => ctx.send({ echo: v })); console.log('ready'); await new Promise(() => {});`);
    const reply = new Promise((resolve) => {
      const on = (m: { id: string; value: unknown }) => {
        if (m.id !== id) return;
        engine.off('message', on);
        resolve(m.value);
      };
      engine.on('message', on);
    });
    engine.sendMessage(id, { n: 1 });
    expect(await reply).toEqual({ echo: { n: 1 } });
    await sidex.sideExecution.stop(id);
  });

  it('refuses unknown, finished and not-yet-running executions with a code', async () => {
    expect(() => engine.sendMessage('side_0_00000000', 1)).toThrow(expect.objectContaining({ code: 'EXECUTION_NOT_FOUND' }));
    const done = await sidex.sideExecution.startWithCode('return 1');
    if (!done.success) throw new Error(done.error);
    await sidex.sideExecution.wait(done.sideExecutionId);
    expect(() => engine.sendMessage(done.sideExecutionId, 1)).toThrow(expect.objectContaining({ code: 'EXECUTION_NOT_FOUND' }));
  });
});

describe('code that reports its own end and never exits (Codebolt-built blocks)', () => {
  it('IPC sideExecutionComplete settles it completed with that result, and ends its process tree', async () => {
    const started = await sidex.sideExecution.startWithCode(`
      require('node:child_process').spawn('sleep', ['600'], { stdio: 'ignore' });
      process.send({ type: 'sideExecutionComplete', result: { ok: 1 } });
      await new Promise(() => {});
    `);
    if (!started.success) throw new Error(started.error);
    const marker = (await engine.get(started.sideExecutionId))?.marker;
    const done = await sidex.sideExecution.wait(started.sideExecutionId);
    expect(done.success && done.status).toBe('completed');
    expect(done.success && done.result).toEqual({ ok: 1 });
    expect(survivors(marker)).toEqual([]);
  });

  it('IPC sideExecutionError settles it failed with that message', async () => {
    const started = await sidex.sideExecution.startWithCode(`
      process.send({ type: 'sideExecutionError', error: { message: 'block gave up' } });
      await new Promise(() => {});
    `);
    if (!started.success) throw new Error(started.error);
    const done = await sidex.sideExecution.wait(started.sideExecutionId);
    expect(done.success && done.status).toBe('failed');
    expect(done.success && done.failure?.message).toBe('block gave up');
  });

  it('engine.settle (the WebSocket path) ends it the same way; the first settlement wins', async () => {
    const id = await startReady(sidex, `console.log('ready'); await new Promise(() => {});`);
    engine.settle(id, { result: 'from the socket' });
    engine.settle(id, { error: { message: 'too late' } });
    const done = await sidex.sideExecution.wait(id);
    expect(done.success && done.status).toBe('completed');
    expect(done.success && done.result).toBe('from the socket');
  });
});

describe('code that sends malformed messages over its IPC channel (process.send)', () => {
  // The running code shares the runtime's channel: whatever it sends, the engine must go on.
  const hostile: Array<[string, string]> = [
    ['null', 'null'],
    ['a string', "'checkpoint'"],
    ['an unknown type', "{ type: 'nonsense' }"],
    ['a checkpoint that is not JSON', "{ type: 'checkpoint', json: '{' }"],
    ['a progress that is not JSON', "{ type: 'progress', json: 'not json' }"],
    ['a message that is not JSON', "{ type: 'message', json: '[' }"],
    ['a checkpoint without json', "{ type: 'checkpoint' }"],
    ['a result that is not JSON', "{ type: 'result', json: '{', cpuMicros: 1 }"],
    ['a checkpoint over 8 MB, past the runtime', "{ type: 'checkpoint', json: JSON.stringify('x'.repeat(9 * 1024 * 1024)) }"],
    ["the boot handshake's ready", "{ type: 'ready' }"],
    ["the boot handshake's warmed", "{ type: 'warmed' }"],
  ];
  it.each(hostile)('%s: ignored, and the execution ends with its own result', async (_what, message) => {
    const started = await sidex.sideExecution.startWithCode(`process.send(${message}); await new Promise((r) => setTimeout(r, 100)); ctx.checkpoint('kept'); return 'own result';`);
    if (!started.success) throw new Error(started.error);
    const done = await sidex.sideExecution.wait(started.sideExecutionId);
    expect(done.success && [done.status, done.result, done.checkpoint]).toEqual(['completed', 'own result', 'kept']);
  });

  it('a failure with no error and a CPU time that is not a number: it ends failed, with a harmless error', async () => {
    const started = await sidex.sideExecution.startWithCode("process.send({ type: 'failed', error: null, cpuMicros: 'x' }); await new Promise((r) => setTimeout(r, 100)); return 1;");
    if (!started.success) throw new Error(started.error);
    const done = await sidex.sideExecution.wait(started.sideExecutionId);
    expect(done.success && [done.status, done.failure?.code, done.cpuTime >= 0]).toEqual(['failed', 'INVALID_ERROR', true]);
  });

  it('a result over 8 MB, past the runtime: it ends failed with VALUE_TOO_LARGE', async () => {
    const started = await sidex.sideExecution.startWithCode("process.send({ type: 'result', json: JSON.stringify('x'.repeat(9 * 1024 * 1024)), cpuMicros: 1 }); await new Promise((r) => setTimeout(r, 100)); return 1;");
    if (!started.success) throw new Error(started.error);
    const done = await sidex.sideExecution.wait(started.sideExecutionId);
    expect(done.success && [done.status, done.failure?.code]).toEqual(['failed', 'VALUE_TOO_LARGE']);
  });
});
