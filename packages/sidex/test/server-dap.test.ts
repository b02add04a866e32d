// The RocketRide dialect at /task/service of a real `sidex serve`, spoken with
// raw DAP frames: envelope and seq, binary frames, auth first, the commands,
// monitors, what a client leaves behind when it goes away, and terminate.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { codeChain, drainedTwoRefusedOne, takes } from './fixtures/pipelines.js';
import { foreverWithChild } from './helpers/pipelines.js';
import { RawDap } from './helpers/raw-dap.js';
import { startTestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const server = await startTestServer();
const sockets: RawDap[] = [];
async function authed(): Promise<RawDap> {
  const dap = await RawDap.authed(server.url, server.apiKey);
  sockets.push(dap);
  return dap;
}
async function anonymous(): Promise<RawDap> {
  const dap = await RawDap.open(server.url);
  sockets.push(dap);
  return dap;
}
afterAll(() => sockets.forEach((s) => s.close()));

const client = await authed();
const status = async (token: string) => (await client.request('rrext_get_task_status', { token })).body;
const use = async (pipeline: object, extra: Record<string, unknown> = {}) => {
  const reply = await client.request('execute', { pipeline, ...extra });
  expect(reply, JSON.stringify(reply)).toMatchObject({ success: true });
  return reply.body.token as string;
};
/** One item as open, write (a binary frame), close; answers the close response. */
async function sendItem(dap: RawDap, token: string, text: string): Promise<Record<string, any>> {
  const open = await dap.request('rrext_process', { subcommand: 'open', token, object: { name: text } });
  if (!open.success) return open;
  await dap.binary('rrext_process', { subcommand: 'write', token, pipe_id: open.body.pipe_id }, Buffer.from(text));
  return dap.request('rrext_process', { subcommand: 'close', token, pipe_id: open.body.pipe_id });
}

describe('envelope and authentication', () => {
  it('before auth only auth and rrext_public_* are served; responses count seq per connection and echo request_seq', async () => {
    const dap = await anonymous();
    const probe = await dap.request('rrext_public_probe');
    expect(probe).toMatchObject({ type: 'response', seq: 1, request_seq: 1, command: 'rrext_public_probe', success: true, body: { name: 'sidex', version: expect.any(String) } });
    const ping = await dap.request('rrext_ping');
    expect(ping).toMatchObject({ type: 'response', seq: 2, request_seq: 2, command: 'rrext_ping', success: false, code: 'NOT_AUTHENTICATED' });
    expect(ping.message).toMatch(/send auth/);
    expect(ping.body).toBeUndefined();
    const execute = await dap.request('execute', { pipeline: codeChain('return input') });
    expect(execute).toMatchObject({ success: false, code: 'NOT_AUTHENTICATED' });
    expect(dap.closed).toBeUndefined();

    const auth = await dap.request('auth', { auth: `Bearer ${server.apiKey}`, clientName: 'raw test', clientVersion: '1.0' });
    expect(auth).toMatchObject({ seq: 4, request_seq: 4, success: true, body: { userId: expect.any(String), clientName: 'raw test', server: { name: 'sidex' } } });
    expect(JSON.stringify(auth)).not.toContain(server.apiKey);
    expect(await dap.request('rrext_ping')).toMatchObject({ success: true, body: { pong: true } });

    expect(await dap.request('deauth')).toMatchObject({ success: true, body: {} });
    expect(await dap.request('rrext_ping')).toMatchObject({ success: false, code: 'NOT_AUTHENTICATED' });
    expect(await dap.request('auth', { auth: server.apiKey })).toMatchObject({ success: true });
    expect(await dap.request('rrext_ping')).toMatchObject({ success: true });
  });

  it('a wrong key gets an error reply, then the socket is closed', async () => {
    const dap = await anonymous();
    const reply = await dap.request('auth', { auth: 'Bearer not-the-key' });
    expect(reply).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    expect(reply.message).toMatch(/not valid/);
    expect((await dap.untilClosed()).code).toBe(1008);

    const empty = await anonymous();
    expect(await empty.request('auth', {})).toMatchObject({ success: false, code: 'UNAUTHORIZED', message: expect.stringMatching(/required/) });
    await empty.untilClosed();

    const number = await anonymous();
    expect(await number.request('auth', { auth: 12345 })).toMatchObject({ success: false, code: 'UNAUTHORIZED', message: expect.stringMatching(/^auth: must be the API key as a string, not number/) });
    await number.untilClosed();
  });

  it('authentication attempts are limited per connection', async () => {
    const dap = await anonymous();
    for (let i = 0; i < 10; i++) {
      expect(await dap.request('auth', { auth: server.apiKey })).toMatchObject({ success: true });
      await dap.request('deauth');
    }
    expect(await dap.request('auth', { auth: server.apiKey })).toMatchObject({ success: false, code: 'TOO_MANY_AUTH_ATTEMPTS' });
    await dap.untilClosed();
  });

  it('an unknown command gets success false with a message, never an empty success; the connection stays usable', async () => {
    const dap = await authed();
    const reply = await dap.request('rrext_no_such_thing', {});
    expect(reply).toMatchObject({ success: false, code: 'UNKNOWN_COMMAND', command: 'rrext_no_such_thing' });
    expect(reply.message).toMatch(/"rrext_no_such_thing" is not a command.*execute.*terminate/);
    expect(reply.body).toBeUndefined();

    const before = dap.frames.length;
    dap.send('not json');
    dap.send({ type: 'request', seq: 'seven', command: 'rrext_ping' });
    dap.send({ type: 'event', seq: 33, command: 'rrext_ping' });
    dap.send({ type: 'request', seq: 77, command: 'rrext_ping', arguments: [1, 2] });
    dap.ws.send(Buffer.from('{"type":"request","seq":78,"command":"rrext_ping"}')); // binary, no \n: plain JSON
    dap.ws.send(Buffer.concat([Buffer.from('{not a header'), Buffer.from('\n'), Buffer.from([0, 1, 2])]));
    await eventually(() => dap.frames.length >= before + 6);
    const replies = dap.frames.slice(before);
    // Errors of bad frames are sent at once, in order; the ping's reply whenever it is done.
    const failures = replies.filter((r) => !r.success);
    expect(failures).toHaveLength(5);
    expect(failures[0]!.message).toMatch(/^frame is not valid JSON/);
    expect(failures[1]).toMatchObject({ request_seq: 0, code: 'INVALID_FRAME', message: expect.stringMatching(/^seq: must be a number/) });
    expect(failures[2]!.message).toMatch(/^type: must be "request"/);
    expect(failures[3]).toMatchObject({ request_seq: 77, command: 'rrext_ping', message: expect.stringMatching(/^arguments: must be an object/) });
    expect(failures[4]!.message).toMatch(/header of the binary frame .* is not valid JSON/);
    expect(replies.find((r) => r.success)).toMatchObject({ request_seq: 78, body: { pong: true } });
    expect(await dap.request('rrext_ping')).toMatchObject({ success: true });
  });
});

describe('commands', () => {
  it('execute, then an item as open / write (a binary frame and a text one) / close; the token may come at the top level', async () => {
    const token = await use(codeChain('return input.toUpperCase()'), { threads: 2 });
    const open = await client.request('rrext_process', { subcommand: 'open', object: { name: 'doc.txt' }, mimeType: 'text/plain' }, { token });
    expect(open).toMatchObject({ success: true, body: { pipe_id: expect.any(Number) } });
    const pipe_id = open.body.pipe_id;
    expect(await client.binary('rrext_process', { subcommand: 'write', token, pipe_id }, Buffer.from('héllo '))).toMatchObject({ success: true, body: {} });
    expect(await client.request('rrext_process', { subcommand: 'write', token, pipe_id, data: 'wörld' })).toMatchObject({ success: true });
    const closed = await client.request('rrext_process', { subcommand: 'close', token, pipe_id });
    expect(closed).toMatchObject({ success: true, body: { name: 'doc.txt', result_types: { text: 'text' }, text: ['HÉLLO \n\nWÖRLD\n\n'] } });

    const byTopLevel = await client.request('rrext_get_task_status', {}, { token });
    expect(byTopLevel.body).toMatchObject({ token, state: 3, status: 'Running', totalCount: 1, completedCount: 1 });
    expect((await client.request('rrext_get_tasks')).body.tasks).toEqual(expect.arrayContaining([expect.objectContaining({ token, state: 3 })]));
    expect((await client.request('terminate', { token })).success).toBe(true);
  });

  it('restart: by token, or as RocketRide sends it (token *, projectId and source); the task runs its new pipeline under the same token', async () => {
    const token = await use(codeChain('return input'));
    const byToken = await client.request('restart', { token, pipeline: codeChain('return input + "!"') });
    expect(byToken).toMatchObject({ success: true, body: { token } });
    expect(await sendItem(client, token, 'again')).toMatchObject({ success: true, body: { text: ['again!\n\n'] } });
    const { project_id, source } = (await client.request('rrext_get_task_status', { token })).body;
    const byProject = await client.request('restart', { token: '*', projectId: project_id, source, pipeline: codeChain('return input + "?"') });
    expect(byProject).toMatchObject({ success: true, body: { token } });
    expect(await sendItem(client, token, 'once more')).toMatchObject({ success: true, body: { text: ['once more?\n\n'] } });
    expect(await client.request('restart', { token: 'tk_none', pipeline: codeChain('return input') })).toMatchObject({ success: false, code: 'TASK_NOT_FOUND' });
    expect((await client.request('terminate', { token })).success).toBe(true);
  });

  it('bad arguments are refused with the field named, and change nothing', async () => {
    const before = (await client.request('rrext_get_tasks')).body.tasks.length;
    const noPipeline = await client.request('execute', {});
    expect(noPipeline).toMatchObject({ success: false, code: 'INVALID_PIPELINE', message: expect.stringMatching(/^pipeline: is required/) });
    const badProvider = await client.request('execute', { pipeline: { components: [{ id: 'a', provider: 'nope', config: { mode: 'Source' } }] } });
    expect(badProvider).toMatchObject({ success: false, code: 'UNSUPPORTED_COMPONENTS', message: 'pipeline: sidex does not provide nope, used by the component "a" (nope)' });
    expect(await client.request('rrext_get_task_status', { token: 'no such token' })).toMatchObject({ success: false, code: 'INVALID_TOKEN' });
    expect(await client.request('rrext_process', { subcommand: 'eat', token: 'tk_x' })).toMatchObject({ success: false, message: expect.stringMatching(/subcommand/) });
    // 1e400 parsed as Infinity and reached the pipeline's config as null.
    client.send(`{"type":"request","seq":900,"command":"execute","arguments":{"pipeline":${JSON.stringify(codeChain('return input')).replace(/}$/, ',"n":1e400}')}}}`);
    const overflow = await client.next((f) => f.type === 'response' && f.request_seq === 900);
    expect(overflow).toMatchObject({ success: false, code: 'INVALID_FRAME', message: 'frame: "n" holds a number beyond what JSON\'s doubles hold (about ±1.8e308)' });
    // A binary frame's header that is not UTF-8: each bad byte became U+FFFD before.
    client.send(Buffer.concat([Buffer.from('{"type":"request","seq":902,"command":"rrext_ping","arguments":{"x":"a'), Buffer.from([0xff]), Buffer.from('b"}}\n')]));
    expect(await client.next((f) => f.type === 'response' && f.code === 'INVALID_FRAME' && /not valid UTF-8/.test(String(f.message)))).toMatchObject({ success: false });
    client.send('{"type":"request","seq":901,"command":"rrext_validate","arguments":{"pipeline":{"components":[]},"__proto__":{"x":1}}}');
    const poisoned = await client.next((f) => f.type === 'response' && f.request_seq === 901);
    expect(poisoned).toMatchObject({ success: false, code: 'INVALID_FRAME', message: expect.stringMatching(/"__proto__".* is not accepted/) });
    expect((await client.request('rrext_get_tasks')).body.tasks.length).toBe(before);
  });

  it('rrext_validate answers errors and warnings without starting anything', async () => {
    const good = await client.request('rrext_validate', { pipeline: codeChain('return input') });
    expect(good.body).toMatchObject({ valid: true, errors: [] });
    const bad = await client.request('rrext_validate', { pipeline: codeChain('return (') });
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors[0].message).toMatch(/code_1/);
  });

  it('rrext_monitor (types in any case): the reply first, then the current state; events follow; types [] unsubscribes', async () => {
    const token = await use(codeChain('console.log("seen", input); return input'));
    const watcher = await authed();
    const reply = await watcher.request('rrext_monitor', { token, types: ['summary', 'Task', 'OUTPUT', 'FLOW'] });
    expect(reply).toMatchObject({ success: true, body: {} });
    const replyAt = watcher.frames.indexOf(reply);
    const first = await watcher.next((f) => f.event === 'apaevt_status_update');
    expect(watcher.frames.indexOf(first)).toBeGreaterThan(replyAt);
    expect(first).toMatchObject({ type: 'event', seq: expect.any(Number), body: { token, state: 3, __id: token } });
    expect(await watcher.next((f) => f.event === 'apaevt_task' && f.body.action === 'running')).toBeTruthy();

    expect((await sendItem(client, token, 'one')).success).toBe(true);
    await watcher.next((f) => f.event === 'output' && /seen one/.test(f.body.output));
    await watcher.next((f) => f.event === 'apaevt_flow' && f.body.op === 'end');
    await watcher.next((f) => f.event === 'apaevt_status_update' && f.body.completedCount === 1, 5000);
    const seqs = watcher.frames.map((f) => f.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    expect(await watcher.request('rrext_monitor', { token, types: [] })).toMatchObject({ success: true });
    const count = watcher.frames.length;
    expect((await sendItem(client, token, 'two')).success).toBe(true);
    await new Promise((r) => setTimeout(r, 1300)); // past a status interval
    expect(watcher.frames.length).toBe(count);
    expect(await watcher.request('rrext_monitor', { token, types: { SUMMARY: true } })).toMatchObject({ success: false, code: 'INVALID_EVENT_TYPES' });
    await client.request('terminate', { token });
  });

  /** `leaver` holds the only thread of the task with a pipe it opened: another client's item waits, and runs once `leaver` goes away. */
  async function leavesWithPipeOpen(leaver: RawDap, token: string): Promise<void> {
    const waiting = sendItem(client, token, 'after');
    await new Promise((r) => setTimeout(r, 200));
    leaver.close();
    expect(await waiting).toMatchObject({ success: true, body: { text: ['after\n\n'] } });
    expect(await status(token)).toMatchObject({ cancelledCount: 1, completedCount: 1, inProgressCount: 0 });
    await client.request('terminate', { token });
  }

  it('a client that goes away: its monitors end and the pipes it left open are abandoned, freeing their threads', async () => {
    const token = await use(codeChain('return input'), { threads: 1 });
    const leaver = await authed();
    await leaver.request('rrext_monitor', { token: '*', types: ['SUMMARY'] });
    const open = await leaver.request('rrext_process', { subcommand: 'open', token });
    expect(open.success).toBe(true);
    await leavesWithPipeOpen(leaver, token);
  });

  it('a close refused for its arguments leaves the pipe open, so it is still abandoned when its client goes away', async () => {
    const token = await use(codeChain('return input'), { threads: 1 });
    const leaver = await authed();
    const open = await leaver.request('rrext_process', { subcommand: 'open', token });
    const pipe_id = open.body.pipe_id as number;
    expect(await leaver.request('rrext_process', { subcommand: 'close', token, pipe_id, junk: 1 })).toMatchObject({ success: false, code: 'INVALID_ARGUMENT' });
    expect(await leaver.request('rrext_process', { subcommand: 'close', token, pipe_id: String(pipe_id) })).toMatchObject({ success: false });
    await leavesWithPipeOpen(leaver, token);
  });
});

describe('a client that reads too slowly', () => {
  it('gets events dropped while it does not read, then a notice and the latest status; server memory stays bounded', async () => {
    const rssOf = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))?.[1]) * 1024;
    const flood = "const line = 'x'.repeat(1023) + '\\n'; for (let i = 0; i < 100 * 1024; i++) process.stdout.write(line); return 'flooded';";
    const token = await use(codeChain(flood));
    const slow = await authed();
    expect(await slow.request('rrext_monitor', { token, types: ['OUTPUT', 'SUMMARY'] })).toMatchObject({ success: true });
    const before = rssOf();
    slow.ws.pause(); // reads nothing from now on
    expect(await sendItem(client, token, 'go')).toMatchObject({ success: true, body: { text: ['flooded\n\n'] } });
    expect(rssOf() - before).toBeLessThan(80 * 1024 * 1024); // 100 MB of output went through
    slow.ws.resume();
    const notice = await slow.next((f) => f.event === 'sidex_events_dropped', 15_000);
    expect(notice.body.count).toBeGreaterThan(0);
    const latest = await slow.next((f) => f.event === 'apaevt_status_update' && f.seq > notice.seq && f.body.completedCount === 1, 15_000);
    expect(latest.body.token).toBe(token);
    await client.request('terminate', { token });
  });
});

describe('terminate over DAP', () => {
  const slowWhenAsked = 'if (input === "slow") await new Promise((r) => setTimeout(r, 2000)); return input;';

  it('an item taking 2 s completes, a send during the drain is refused, and the final status is CANCELLED / Stopped with exact counts', async () => {
    const token = await use(codeChain(slowWhenAsked), { threads: 2 });
    expect((await sendItem(client, token, 'fast')).body.text).toEqual(['fast\n\n']);
    const slow = sendItem(client, token, 'slow');
    await eventually(async () => (await status(token)).inProgressCount === 1);
    const terminator = await authed();
    const began = Date.now();
    const terminated = terminator.request('terminate', { token });
    await eventually(async () => (await status(token)).state === 4);
    const late = await client.request('rrext_process', { subcommand: 'open', token });
    expect(late).toMatchObject({ success: false, code: 'TASK_TERMINATING' });
    expect(late.message).toMatch(/task is terminating/);
    expect((await slow).body).toMatchObject({ text: ['slow\n\n'] });
    expect(await terminated).toMatchObject({ success: true, body: {} });
    expect(Date.now() - began).toBeGreaterThan(1000);
    expect(await status(token)).toMatchObject(drainedTwoRefusedOne);
  });

  it('a 100 ms drain on an item that never ends: the item is cancelled and no process is left', async () => {
    const { code, processes, alive } = foreverWithChild();
    const token = await use(codeChain(code));
    const item = sendItem(client, token, 'x');
    const pids = await processes();
    expect(pids.length).toBeGreaterThanOrEqual(2);
    const began = Date.now();
    expect(await client.request('terminate', { token, drainMs: 100 })).toMatchObject({ success: true });
    expect(Date.now() - began).toBeLessThan(100 + 2000 + 2000); // drain + grace + slack
    expect(await item).toMatchObject({ success: false, code: 'ITEM_CANCELLED' });
    expect(await status(token)).toMatchObject({ state: 6, status: 'Stopped', cancelledCount: 1, completedCount: 0, totalCount: 1 });
    expect(alive()).toEqual([]);
  });

  it('terminate while ending joins it; after the end it is TASK_TERMINATED; an unknown token is an error', async () => {
    const token = await use(codeChain(takes(300)));
    const item = sendItem(client, token, 'x');
    await eventually(async () => (await status(token)).inProgressCount === 1);
    const [a, b] = await Promise.all([client.request('terminate', { token }), client.request('terminate', {}, { token })]);
    expect([a.success, b.success]).toEqual([true, true]);
    expect((await item).body.text).toEqual(['x\n\n']);
    const again = await client.request('terminate', { token });
    expect(again).toMatchObject({ success: false, code: 'TASK_TERMINATED' });
    expect(again.message).toMatch(new RegExp(`^token: the pipeline of task "${token}" is not running: it has already ended \\(Stopped: terminated`));
    const unknown = await client.request('terminate', { token: 'tk_never_was' });
    expect(unknown).toMatchObject({ success: false, code: 'TASK_NOT_FOUND', message: 'no task with token "tk_never_was"' });
  });
});
