// The crash test against the real thing: `sidex serve` is SIGKILLed while 20
// executions run and 5 have finished, then started again on the same data
// directory; a client asks it about all 25.
import { SidexClient } from '@sidex/client';
import { afterAll, describe, expect, it } from 'vitest';
import { dataKeyOf, findMarked, markerMatcher } from '../dist/engine/tree/marker.js';
import { spawnServer, type TestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const servers: TestServer[] = [];
const clients: SidexClient[] = [];
afterAll(async () => {
  for (const client of clients) client.close();
  for (const server of servers) await server.stop();
});

async function serve(dataDir?: string, projectDir?: string): Promise<{ server: TestServer; client: SidexClient }> {
  const server = await spawnServer(dataDir ? { args: ['--data-dir', dataDir, '--project', projectDir!] } : {});
  servers.push(server);
  const client = new SidexClient({ url: server.url, apiKey: server.apiKey });
  clients.push(client);
  await client.waitForReady();
  return { server, client };
}

/** Every live process of any execution of this data directory, whichever run started it. */
const processesOf = (dataDir: string) => findMarked(markerMatcher(`${dataKeyOf(dataDir)}.`, 'prefix'));

async function load(client: SidexClient) {
  const finished = [];
  for (let i = 0; i < 5; i++) {
    const started = await client.sideExecution.startWithCode(`console.log('short ${i}'); return ${i} * 2;`);
    if (!started.success) throw new Error(started.error);
    const done = await client.wait(started.sideExecutionId);
    if (!done.success) throw new Error(done.error);
    finished.push(done.data);
  }
  const running: string[] = [];
  for (let i = 0; i < 20; i++) {
    const started = await client.sideExecution.startWithCode(
      `for (let n = 0; ; n++) { console.log('long ${i} tick ' + n); await new Promise((r) => setTimeout(r, 50)); }`,
    );
    if (!started.success) throw new Error(started.error);
    running.push(started.sideExecutionId);
  }
  // Two ticks of each are in the logs before the kill, as the checks after the restart expect.
  const ticked = async (id: string) => {
    const status = await client.sideExecution.getStatus(id);
    return status.success && status.output.includes(' tick 1\n');
  };
  expect(await eventually(async () => (await Promise.all(running.map(ticked))).every(Boolean), 10_000)).toBe(true);
  return { finished, running };
}

describe('sidex serve is SIGKILLed while 20 executions run and 5 have finished', () => {
  it('restarted on the same data directory: 25 records, the 20 supervisor_lost with their output, the 5 intact, nothing alive', async () => {
    const first = await serve();
    const { finished, running } = await load(first.client);
    expect(processesOf(first.server.dataDir).length).toBeGreaterThanOrEqual(20);

    first.server.child.kill('SIGKILL');
    await first.server.exited;
    expect(await eventually(() => processesOf(first.server.dataDir).length === 0, 2000)).toBe(true);

    const second = await serve(first.server.dataDir, first.server.projectDir);
    for (const before of finished) {
      const now = await second.client.sideExecution.getStatus(before.sideExecutionId);
      expect(now.success && now.data).toEqual(before);
    }
    for (const [i, id] of running.entries()) {
      const status = await second.client.sideExecution.getStatus(id);
      if (!status.success) throw new Error(status.error);
      expect(status.status).toBe('failed');
      expect(status.stopReason).toBe('supervisor_lost');
      expect(status.failure?.code).toBe('SUPERVISOR_LOST');
      expect(status.output).toMatch(new RegExp(`^long ${i} tick 0\\nlong ${i} tick 1\\n`));
    }
    const counts = await second.client.sideExecution.counts();
    expect(counts.success && counts.counts).toMatchObject({ completed: 5, failed: 20, running: 0 });
    // The restarted server's own warm runtimes share the data directory: once it stops, nothing may remain.
    expect(await second.server.stop()).toBe(0);
    expect(processesOf(first.server.dataDir)).toEqual([]);
  });

  it('a graceful restart (SIGTERM) keeps everything: the running ones end stopped, reason shutdown, with their output', async () => {
    const first = await serve();
    const { finished, running } = await load(first.client);
    expect(await first.server.stop()).toBe(0);
    expect(processesOf(first.server.dataDir)).toEqual([]);

    const second = await serve(first.server.dataDir, first.server.projectDir);
    for (const before of finished) {
      const now = await second.client.sideExecution.getStatus(before.sideExecutionId);
      expect(now.success && now.data).toEqual(before);
    }
    for (const id of running) {
      const status = await second.client.sideExecution.getStatus(id);
      expect(status.success && [status.status, status.stopReason]).toEqual(['stopped', 'shutdown']);
      expect(status.success && status.output).toMatch(/tick 0\n/);
    }
  });
});
