// 1,000 random malformed frames on /codebolt: each gets an error reply, the
// connection stays usable, the server stays up and another client is unaffected.
import fc from 'fast-check';
import { SidexClient } from '@sidex/client';
import { afterAll, describe, expect, it } from 'vitest';
import { RawSocket } from './helpers/raw-ws.js';
import { codeboltBadFrame as badFrame } from './helpers/fuzz.js';
import { startTestServer } from './helpers/server.js';

const server = await startTestServer();
const fuzz = await RawSocket.open(server.wsUrl, server.apiKey);
const bystander = new SidexClient({ url: server.url, apiKey: server.apiKey });
afterAll(() => {
  fuzz.close();
  bystander.close();
});

describe('fuzzing /codebolt', () => {
  it('1,000 malformed frames: one error reply each, nothing breaks', async () => {
    const started = await bystander.sideExecution.startWithCode('await new Promise(r => setTimeout(r, 600000))');
    expect(started.success).toBe(true);
    const id = started.success ? started.sideExecutionId : '';
    let bystanderCalls = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const status = await bystander.sideExecution.getStatus(id);
        expect(status.success && status.status).toBe('running');
        bystanderCalls++;
      }
    })();

    await fc.assert(
      fc.asyncProperty(badFrame, async (frame) => {
        const before = fuzz.frames.length;
        fuzz.ws.send(frame instanceof Buffer || typeof frame === 'string' ? frame : JSON.stringify(frame));
        const reply = await fuzz.next((_f) => fuzz.frames.length > before, 5000).then(() => fuzz.frames[before]!);
        expect(reply.success).toBe(false);
        expect(typeof reply.code).toBe('string');
        expect(typeof reply.error).toBe('string');
        expect(reply.type).toMatch(/Response$/);
        const sentId = typeof frame === 'object' && !(frame instanceof Buffer) ? (frame as { requestId?: unknown }).requestId : undefined;
        if (typeof sentId === 'string' || typeof sentId === 'number') expect(reply.requestId).toBe(sentId);
      }),
      { numRuns: 1000 },
    );

    polling = false;
    await poll;
    expect(bystanderCalls).toBeGreaterThan(10);
    expect(await fuzz.request({ type: 'sideExecution', action: 'getSideExecutionStatus', sideExecutionId: id })).toMatchObject({ success: true, status: 'running' });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect((await bystander.sideExecution.stop(id)).success).toBe(true);
    // No execution was started by any of the bad frames.
    const list = await bystander.sideExecution.list({ limit: 1000 });
    expect(list.success && list.executions.length).toBe(1);
  });
});
