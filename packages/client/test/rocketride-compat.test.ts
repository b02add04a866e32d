// `@sidex/client/rocketride` against a real `sidex serve`, for what programs
// written for RocketRide's client (and its own test suite) expect: monitors in
// RocketRide's forms, concurrent use() of one token, item results, replies and
// events in RocketRide's shapes, and the commands its client calls.
import { afterAll, describe, expect, it } from 'vitest';
import { RocketRideClient, type DapMessage } from '@sidex/client/rocketride';
import { codeChain } from '../../sidex/test/fixtures/pipelines.js';
import { startTestServer } from '../../sidex/test/helpers/server.js';
import { eventually } from '../../sidex/test/helpers/sidex.js';

const server = await startTestServer();
const clients: RocketRideClient[] = [];
function client(config: ConstructorParameters<typeof RocketRideClient>[0] = {}): RocketRideClient {
  const c = new RocketRideClient({ uri: server.url, auth: server.apiKey, env: {}, ...config });
  clients.push(c);
  return c;
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.disconnect()));
});
const sdk = client();
await sdk.connect();

/** RocketRide's echo pipeline (its client suite's tests/echo.pipeline.ts). */
const echo = (projectId = 'e612b741-748c-4b35-a8b7-186797a8ea42') => ({
  components: [
    { id: 'webhook_1', provider: 'webhook', name: 'My webhook', description: 'A webhook to receive data', config: { hideForm: true, mode: 'Source', type: 'webhook' } },
    { id: 'response_1', provider: 'response', config: { lanes: [] }, input: [{ lane: 'text', from: 'webhook_1' }] },
  ],
  source: 'webhook_1',
  project_id: projectId,
});

describe('monitors as RocketRide clients set them', () => {
  it('addMonitor by {projectId, source} and setEvents with names sidex has no events for (dashboard, debugger)', async () => {
    const events: DapMessage[] = [];
    const watcher = client({ onEvent: (e) => void events.push(e) });
    await watcher.connect();
    const projectId = 'c0ffee00-0000-4000-a000-000000000001';
    await watcher.addMonitor({ projectId, source: 'webhook_1' }, ['summary', 'task', 'dashboard']);
    const { token } = await sdk.use({ pipeline: { ...codeChain('return input'), project_id: projectId } });
    await sdk.send(token, 'x', {}, 'text/plain');
    expect(await eventually(() => events.some((e) => e.event === 'apaevt_task' && (e.body as { action?: string }).action === 'begin'))).toBe(true);
    expect(await eventually(() => events.some((e) => e.event === 'apaevt_status_update' && (e.body as { completedCount?: number }).completedCount === 1))).toBe(true);
    await watcher.setEvents(token, ['DEBUGGER', 'summary']);
    await sdk.terminate(token);
    expect(await eventually(() => events.some((e) => e.event === 'apaevt_status_update' && (e.body as { state?: number }).state === 6))).toBe(true);
  });
});

describe('use({token, useExisting: true})', () => {
  it('16 at once (the client suite\'s concurrent test) all get the task; each send reaches it', async () => {
    const used = await Promise.all(Array.from({ length: 16 }, () => sdk.use({ pipeline: echo(), token: 'TS-CC', useExisting: true })));
    expect(new Set(used.map((u) => u.token))).toEqual(new Set(['TS-CC']));
    const results = await Promise.all(used.map((u, i) => sdk.send(u.token, `Pipeline-${i} unique`, {}, 'text/plain')));
    expect(results.map((r) => r?.text?.[0]?.trimEnd())).toEqual(used.map((_, i) => `Pipeline-${i} unique`));
    await sdk.terminate('TS-CC');
  });
});
