// `sidex top` under a real pseudo-terminal against a real `sidex serve`, and
// against a server of a real cluster (Redis, PostgreSQL, a worker): it shows
// running executions with their latest output, follows one, stops one
// gracefully and force-stops another with its keys, and leaves the terminal
// as it found it.
import pty from '@lydell/node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterMissing, redisDb, startCluster, type TestCluster } from './helpers/cluster.js';
import { serversFor } from './helpers/machine-needs.js';
import { api, runCli, SIDEX_BIN, startTestServer, type TestServer } from './helpers/server.js';
import { eventually } from './helpers/sidex.js';

const server = await startTestServer();

interface Term {
  screen(): string;
  write(keys: string): void;
  exited: Promise<number>;
}

function openTop(server: TestServer): Term {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SIDEX_')) env[k] = v;
  const term = pty.spawn(process.execPath, [SIDEX_BIN, 'top', '--interval', '200'], {
    cols: 160,
    rows: 40,
    env: { ...env, SIDEX_URL: server.url, SIDEX_API_KEY: server.apiKey, NO_COLOR: '1' },
  });
  let output = '';
  term.onData((d) => (output += d));
  const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
  afterAll(() => term.kill('SIGKILL'));
  return { screen: () => output, write: (keys) => term.write(keys), exited };
}

async function start(server: TestServer, code: string): Promise<string> {
  const res = await api(server, '/v1/executions', { method: 'POST', body: JSON.stringify({ inlineCode: code }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { sideExecutionId: string }).sideExecutionId;
}

const statusOf = async (server: TestServer, id: string) => (await (await api(server, `/v1/executions/${id}`)).json()) as { status: string; forced?: boolean };

async function showsFollowsStops(server: TestServer): Promise<void> {
  const polite = await start(server, "let n = 0; setInterval(() => console.log('tick ' + n++), 100); await new Promise(() => {})");
  const stubborn = await start(server, "process.on('SIGTERM', () => {}); ctx.onStop(() => new Promise(() => {})); console.log('never stopping'); while (true) {}");
  const top = openTop(server);
  expect(await eventually(() => top.screen().includes(polite) && top.screen().includes(stubborn), 15_000)).toBe(true);
  expect(await eventually(() => /tick \d+/.test(top.screen()), 10_000)).toBe(true);
  // Each row's output arrives on its own (through a cluster, with its worker's next sample): awaited, not assumed with the ticks.
  expect(await eventually(() => top.screen().includes('never stopping'), 10_000)).toBe(true);

  // Rows are newest first: the stubborn one is selected; enter follows it.
  top.write('\r');
  expect(await eventually(() => top.screen().includes(`output of ${stubborn}`), 10_000)).toBe(true);
  top.write('f');
  expect(await eventually(async () => (await statusOf(server, stubborn)).status === 'stopped', 15_000)).toBe(true);
  expect((await statusOf(server, stubborn)).forced).toBe(true);

  // Now only the polite one is left; s stops it with the stop protocol.
  expect(await eventually(() => top.screen().includes(`${stubborn} stopped (forced)`), 10_000)).toBe(true);
  top.write('s');
  expect(await eventually(async () => (await statusOf(server, polite)).status === 'stopped', 15_000)).toBe(true);
  expect((await statusOf(server, polite)).forced).toBeFalsy();

  top.write('q');
  expect(await top.exited).toBe(0);
  // The alternate screen was left and the cursor shown again.
  expect(top.screen().endsWith('\x1b[?25h\x1b[?1049l')).toBe(true);
}

describe('sidex top', () => {
  it('shows, follows, stops and force-stops running executions, then quits cleanly', () => showsFollowsStops(server));

  it('refuses to run without a terminal, saying what to use instead', async () => {
    const { code, stderr } = await runCli(['top', '--url', server.url], { env: { SIDEX_API_KEY: server.apiKey } });
    expect(code).toBe(2);
    expect(stderr).toContain('sidex ls --status running --json');
  });
});

if (serversFor('sidex top against a cluster', clusterMissing())) {
  describe('sidex top against a cluster', () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await startCluster({ queue: await redisDb(15), servers: 1, workers: 1, workerArgs: ['--concurrency', '2'] });
    }, 120_000);
    afterAll(() => cluster?.close(), 60_000);

    // The output comes from the worker's live writes to the store, the stops are routed to it.
    it('shows, follows, stops and force-stops executions running on a worker, then quits cleanly', () => showsFollowsStops(cluster.servers[0]!), 60_000);
  });
}
