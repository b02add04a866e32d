// sidex serve over loopback: getStatus round trips over one WebSocket and over
// 100 (throughput through the SDK; latency at the target rate from a lean probe
// in its own process), beside a bare ws server answering a canned reply (the
// floor of any Node server here), and start latency through the SDK (start call
// to first output event) beside a cold child_process.fork() measured in this run.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SidexClient } from '@sidex/client';
import { Sidex } from '../../packages/sidex/dist/index.js';
import { spawnServer, stopAndRemove, type TestServer } from '../../packages/sidex/test/helpers/spawn-server.js';
import { percentile, round, type BenchRow } from '../lib/row.js';

const TARGET_RATE = 20_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Closed loop: each client keeps `window` requests in flight until `total` are done. */
async function maxThroughput(clients: SidexClient[], id: string, total: number, window: number): Promise<number> {
  let issued = 0;
  const began = nowMs();
  await Promise.all(
    clients.flatMap((c) =>
      Array.from({ length: window }, async () => {
        while (issued < total) {
          issued++;
          const reply = await c.sideExecution.getStatus(id);
          if (!reply.success) throw new Error(reply.error);
        }
      }),
    ),
  );
  return total / ((nowMs() - began) / 1000);
}

/** Open loop: `rate` requests a second over `connections` sockets, from the lean probe in its own process (lean-load.mjs). */
async function latencyAtRate(target: Target, id: string, connections: number, rate: number, seconds: number): Promise<{ p50: number; p99: number; achieved: number }> {
  const script = fileURLToPath(new URL('../lib/lean-load.mjs', import.meta.url));
  const config = { port: Number(new URL(target.url).port), apiKey: target.apiKey, id, connections, rate, seconds, warmupSeconds: 1 };
  const child = fork(script, [JSON.stringify(config)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const message = await new Promise<{ result?: { p50: number; p99: number; achieved: number }; error?: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as never));
    child.once('exit', (code) => reject(new Error(`the lean probe exited with ${code} before its result`)));
  });
  if (!message.result) throw new Error(`the lean probe failed: ${message.error}`);
  return message.result;
}

interface Target {
  url: string;
  apiKey: string;
}

/** Throughput through the SDK (closed loop), then p50/p99 at the target rate from the lean probe (open loop). */
async function measure(target: Target, id: string, connections: number) {
  return { ...(await sdkThroughput(target, id, connections)), ...(await latencyAtRate(target, id, connections, TARGET_RATE, 3)) };
}

/** Closed loop over `connections` SDK clients. */
async function sdkThroughput(target: Target, id: string, connections: number) {
  const clients = Array.from({ length: connections }, () => new SidexClient({ url: target.url, apiKey: target.apiKey }));
  try {
    await Promise.all(clients.map((c) => c.waitForReady()));
    const window = Math.max(1, Math.ceil(64 / connections));
    await maxThroughput(clients, id, 5000, window); // warm up
    const throughput = await maxThroughput(clients, id, 60_000, window);
    return { window, throughput };
  } finally {
    clients.forEach((c) => c.close());
  }
}

/** The floor (canned-reply-server.mjs), answering with `reply`. */
async function cannedReplyServer(reply: object): Promise<{ target: Target; close(): void }> {
  const script = fileURLToPath(new URL('../lib/canned-reply-server.mjs', import.meta.url));
  const child = fork(script, [JSON.stringify(reply)], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve(m as number));
    child.once('exit', (code) => reject(new Error(`canned-reply server exited with ${code}`)));
  });
  return { target: { url: `http://127.0.0.1:${port}`, apiKey: 'unused' }, close: () => child.kill() };
}

async function roundTrips(server: TestServer, id: string, connections: number): Promise<BenchRow[]> {
  const sidex = await measure(server, id, connections);
  const probe = new SidexClient({ url: server.url, apiKey: server.apiKey });
  await probe.waitForReady();
  const reply = await probe.sideExecution.getStatus(id);
  probe.close();
  const floorServer = await cannedReplyServer(reply);
  let floor: Awaited<ReturnType<typeof measure>>;
  try {
    floor = await measure(floorServer.target, id, connections);
  } finally {
    floorServer.close();
  }
  const label = connections === 1 ? 'one WebSocket' : `${connections} WebSockets`;
  const baseline = 'bare ws server, canned reply (the floor)';
  return [
    {
      name: `getStatus round trips/s through the SDK, ${label} (${sidex.window * connections} in flight)`,
      value: round(sidex.throughput, 0),
      unit: '/s',
      baseline,
      baselineValue: round(floor.throughput, 0),
      ratio: `${round(sidex.throughput / floor.throughput, 2)}x`,
      target: '>= 20000/s',
      pass: sidex.throughput >= TARGET_RATE,
    },
    { name: `getStatus p50 at ${TARGET_RATE}/s offered (lean probe), ${label}`, value: round(sidex.p50, 3), unit: 'ms', baseline, baselineValue: round(floor.p50, 3) },
    {
      name: `getStatus p99 at ${TARGET_RATE}/s offered (lean probe), ${label} (achieved ${round(sidex.achieved, 0)}/s)`,
      value: round(sidex.p99, 3),
      unit: 'ms',
      baseline,
      baselineValue: round(floor.p99, 3),
      ratio: `${round(sidex.p99 / floor.p99, 2)}x the floor`,
      target: '< 2 ms',
      pass: sidex.p99 < 2 && sidex.achieved >= TARGET_RATE * 0.98,
    },
  ];
}

const FIRST_OUTPUT_CODE = "console.log('first')";

/**
 * Start call to the first output event, through the SDK and through an
 * in-process engine (the same Sidex the server wraps, same isolation and
 * store kind), alternated so that both see the same machine; each pause lets
 * the warm pool refill, as between a caller's starts.
 */
async function startLatency(server: TestServer, samples: number): Promise<{ viaSdk: number[]; inProcess: number[] }> {
  const client = new SidexClient({ url: server.url, apiKey: server.apiKey });
  await client.waitForReady();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-bench-'));
  const local = new Sidex({ dataDir });
  let firstOutput: (() => void) | undefined;
  const off = client.on('output', () => firstOutput?.());
  const offLocal = local.sideExecution.on('output', () => firstOutput?.());
  await local.engine.warm();
  await sleep(100);
  const viaSdk: number[] = [];
  const inProcess: number[] = [];
  const once = async (api: SidexClient['sideExecution'] | Sidex['sideExecution'], wait: (id: string) => Promise<unknown>): Promise<number> => {
    const seen = new Promise<void>((resolve) => (firstOutput = resolve));
    const t0 = nowMs();
    const reply = await api.startWithCode(FIRST_OUTPUT_CODE);
    if (!reply.success) throw new Error(reply.error);
    await seen;
    const took = nowMs() - t0;
    await wait(reply.sideExecutionId);
    await sleep(150);
    return took;
  };
  try {
    for (let i = 0; i < samples + 3; i++) {
      const sdk = await once(client.sideExecution, (id) => client.wait(id));
      const engine = await once(local.sideExecution, (id) => local.sideExecution.wait(id));
      if (i < 3) continue;
      viaSdk.push(sdk);
      inProcess.push(engine);
    }
  } finally {
    off();
    offLocal();
    client.close();
    await local.close({ graceMs: 500 });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { viaSdk, inProcess };
}

/** fork() of a script that prints a line, to the first byte of its stdout. */
async function coldFork(samples: number): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-bench-'));
  const script = path.join(dir, 'first.mjs');
  fs.writeFileSync(script, "console.log('first');\n");
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = nowMs();
    const child = fork(script, [], { execArgv: [], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] }); // plain node, not this process's tsx loader
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    latencies.push(nowMs() - t0);
    await new Promise((resolve) => child.once('exit', resolve));
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return latencies;
}

export default async function serverSuite(): Promise<BenchRow[]> {
  // The figures depend on what else the 2 cores are doing: the load is part of the result.
  const load: BenchRow = { name: 'machine load average (1 min) when the suite began', value: round(os.loadavg()[0]!, 2), unit: '' };
  const server = await spawnServer({ args: ['--log-level', 'error'] });
  try {
    const setup = new SidexClient({ url: server.url, apiKey: server.apiKey });
    const started = await setup.sideExecution.startWithCode("console.log('benchmark target'); await new Promise(r => setTimeout(r, 600000))");
    if (!started.success) throw new Error(started.error);
    const id = started.sideExecutionId;
    const rows = [load, ...(await roundTrips(server, id, 1)), ...(await roundTrips(server, id, 100))];
    await setup.sideExecution.stop(id, { force: true });
    setup.close();

    const { viaSdk, inProcess } = await startLatency(server, 40);
    const fork = await coldFork(20);
    const p50 = percentile(viaSdk, 50);
    const inProcessP50 = percentile(inProcess, 50);
    const forkP50 = percentile(fork, 50);
    rows.push(
      {
        name: 'start latency p50 through the SDK (start call to first output event)',
        value: round(p50),
        unit: 'ms',
        baseline: 'cold child_process.fork() to first stdout',
        baselineValue: round(forkP50),
        ratio: `${round(forkP50 / p50, 1)}x faster`,
        target: '< 5 ms',
        pass: p50 < 5,
      },
      { name: 'start latency p99 through the SDK', value: round(percentile(viaSdk, 99)), unit: 'ms', baseline: 'cold fork() p99', baselineValue: round(percentile(fork, 99)) },
      {
        name: 'start latency p50 through the SDK, against the engine in process (alternated, same code)',
        value: round(p50),
        unit: 'ms',
        baseline: 'in-process engine start to first output event',
        baselineValue: round(inProcessP50),
        ratio: `${round(p50 / inProcessP50, 2)}x`,
        target: '<= 1.5x',
        pass: p50 / inProcessP50 <= 1.5,
      },
    );
    return rows;
  } finally {
    await stopAndRemove(server);
  }
}
