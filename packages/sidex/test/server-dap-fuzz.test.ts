// 1,000 random malformed frames on /task/service (wrong types, oversize,
// deep nesting, binary garbage, bad seq): each gets one error response, the
// connection stays usable, the server stays up and another client's task is
// unaffected.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { codeChain } from './fixtures/pipelines.js';
import { RawDap } from './helpers/raw-dap.js';
import { notJsonObject, wrongType } from './helpers/fuzz.js';
import { startTestServer } from './helpers/server.js';

const server = await startTestServer();
const fuzz = await RawDap.authed(server.url, server.apiKey);
const bystander = await RawDap.authed(server.url, server.apiKey);
afterAll(() => {
  fuzz.close();
  bystander.close();
});

const COMMANDS = ['execute', 'terminate', 'restart', 'rrext_get_task_status', 'rrext_process', 'rrext_monitor', 'rrext_validate', 'rrext_ping', 'deauth'];
const badSeq = fc.oneof(fc.string({ maxLength: 10 }), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)), fc.integer({ max: -1 }), fc.boolean(), fc.constant(null));
const seq = fc.integer({ min: 1_000_000, max: 2_000_000 });
const tooLong = (n: number) => fc.constant('x'.repeat(n));
/** Nested arrays or objects, deeper than the limit. */
const deep = fc.integer({ min: 65, max: 5000 }).chain((depth) => fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

/** Frames wrong in one way or another, as text or as binary frames. */
const badFrame = fc.oneof(
  // text that is not a JSON object
  notJsonObject,
  // random bytes, with or without a newline (a header that is not JSON)
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.uint8Array({ maxLength: 32 })).map(([h, d]) => Buffer.concat([Buffer.from(h.filter((b) => b !== 10)), Buffer.from('\n'), Buffer.from(d)])),
  // envelopes with a wrong type, seq, command or arguments
  fc.record({ type: fc.oneof(fc.constantFrom('response', 'event', 'Request', ''), wrongType), seq, command: fc.constantFrom(...COMMANDS) }),
  fc.record({ type: fc.constant('request'), seq: badSeq, command: fc.constantFrom(...COMMANDS) }, { requiredKeys: ['type', 'command'] }),
  fc.record({ type: fc.constant('request'), seq, command: fc.oneof(wrongType, fc.constant(''), tooLong(101)) }, { requiredKeys: ['type', 'seq'] }),
  fc.record({ type: fc.constant('request'), seq, command: fc.string({ maxLength: 30 }).filter((c) => !COMMANDS.includes(c) && c !== 'auth' && !c.startsWith('rrext_public_') && c.length > 0) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constantFrom(...COMMANDS), arguments: fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer()), fc.boolean()) }),
  // deep nesting and oversize values
  fc.record({ type: fc.constant('request'), seq, command: fc.constantFrom(...COMMANDS) }).chain((env) => deep.map((d) => `{"type":"request","seq":${env.seq},"command":"${env.command}","arguments":{"x":${d}}}`)),
  fc.record({ type: fc.constant('request'), seq, command: fc.constantFrom('rrext_get_task_status', 'terminate', 'rrext_monitor'), token: tooLong(201) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('rrext_process'), arguments: fc.record({ subcommand: fc.constant('open'), token: fc.constant('tk_x'), mimeType: tooLong(201) }) }),
  fc.constant('oversize').map(() => `{"type":"request","seq":1,"command":"rrext_ping","arguments":{"pad":"${'p'.repeat(5 * 1024 * 1024)}"}}`),
  // known commands with arguments of the wrong type
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('execute'), arguments: fc.record({ pipeline: fc.oneof(wrongType, fc.constant('pipeline')), threads: fc.oneof(fc.string(), fc.constant(0), fc.constant(1.5)) }, { requiredKeys: [] }) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constantFrom('terminate', 'rrext_get_task_status'), arguments: fc.record({ token: fc.oneof(wrongType, fc.constant('tk bad'), fc.constant('')), drainMs: fc.oneof(fc.string(), fc.constant(-1)) }, { requiredKeys: ['token'] }) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('rrext_process'), arguments: fc.record({ subcommand: fc.oneof(fc.constantFrom('open', 'write', 'close', 'abandon', 'eat'), wrongType), token: fc.oneof(fc.constant('tk_none'), wrongType), pipe_id: fc.oneof(fc.string(), fc.constant(0), fc.constant(-3)) }) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('rrext_monitor'), arguments: fc.record({ token: fc.oneof(fc.constant('tk_none'), wrongType), types: fc.oneof(wrongType, fc.constant(['NOPE'])) }) }),
  fc.record({ type: fc.constant('request'), seq, command: fc.constant('rrext_validate'), arguments: fc.record({ pipeline: fc.constant({ components: [] }), source: wrongType }) }),
);

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
        expect(closed.body.text).toEqual(['OK']);
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
