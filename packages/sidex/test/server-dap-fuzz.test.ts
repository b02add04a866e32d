// 1,000 random malformed frames on /task/service (wrong types, oversize,
// deep nesting, binary garbage, bad seq): each gets one error response, the
// connection stays usable, the server stays up and another client's task is
// unaffected.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { codeChain } from './fixtures/pipelines.js';
import { RawDap } from './helpers/raw-dap.js';
import { dapBadFrame as badFrame } from './helpers/fuzz.js';
import { startTestServer } from './helpers/server.js';

const server = await startTestServer();
const fuzz = await RawDap.authed(server.url, server.apiKey);
const bystander = await RawDap.authed(server.url, server.apiKey);
afterAll(() => {
  fuzz.close();
  bystander.close();
});

describe('fuzzing /task/service', () => {
  it('1,000 malformed frames: one error response each, nothing breaks', async () => {
    const execute = await bystander.request('execute', { pipeline: codeChain('return input.toUpperCase()'), threads: 2 });
    expect(execute.success).toBe(true);
    const token = execute.body.token as string;
    let bystanderItems = 0;
    let feeding = true;
    const feed = (async () => {
      while (feeding) {
        const open = await bystander.request('rrext_process', { subcommand: 'open', token });
        await bystander.binary('rrext_process', { subcommand: 'write', token, pipe_id: open.body.pipe_id }, Buffer.from('ok'));
        const closed = await bystander.request('rrext_process', { subcommand: 'close', token, pipe_id: open.body.pipe_id });
        expect(closed.body.text).toEqual(['OK\n\n']);
        bystanderItems++;
      }
    })();

    await fc.assert(
      fc.asyncProperty(badFrame, async (frame) => {
        const before = fuzz.frames.length;
        fuzz.ws.send(frame instanceof Buffer || typeof frame === 'string' ? frame : JSON.stringify(frame));
        await fuzz.next(() => fuzz.frames.length > before, 10_000);
        const reply = fuzz.frames[before]!;
        expect(reply).toMatchObject({ type: 'response', success: false, request_seq: expect.any(Number), command: expect.any(String) });
        expect(typeof reply.message).toBe('string');
        expect(typeof reply.code).toBe('string');
        expect(reply.body).toBeUndefined();
        expect(fuzz.closed).toBeUndefined();
      }),
      { numRuns: 1000 },
    );

    feeding = false;
    await feed;
    expect(bystanderItems).toBeGreaterThan(10);
    expect(await fuzz.request('rrext_ping')).toMatchObject({ success: true, body: { pong: true } });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    // No task was started by any of the bad frames.
    const tasks = (await fuzz.request('rrext_get_tasks')).body.tasks as Array<{ token: string }>;
    expect(tasks.map((t) => t.token)).toEqual([token]);
    expect(await bystander.request('terminate', { token })).toMatchObject({ success: true });
  });
});
