// Pipeline figures of issue 6: items per second through a 3-stage `code`
// pipeline and terminate latency on an idle task, measured in process against
// the PipelineService, then over the wire: a real `sidex serve` driven through
// the SDK's PipelineClient on ONE DAP connection (/task/service).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PipelineClient } from '@sidex/client';
import { Sidex } from '../../packages/sidex/dist/index.js';
import { spawnServer, stopAndRemove } from '../../packages/sidex/test/helpers/spawn-server.js';
import { percentile, round, type BenchRow } from '../lib/row.js';
import { ms, rate, sleep } from '../lib/timing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-bench-pipelines-'));
const stages = ['return input.trim();', 'return input.toUpperCase();', 'return input + "!";'];
/** The response of ' hello pipeline ': RocketRide's text rule puts a blank line after each text. */
const SHOUTED = 'HELLO PIPELINE!\n\n';
/** Fails the bench on a wrong answer: a fast wrong pipeline measures nothing. */
function checkShouted(result: object | undefined): void {
  if ((result as { text?: string[] } | undefined)?.text?.[0] !== SHOUTED) throw new Error(`wrong result ${JSON.stringify(result)}`);
}
const threeStages = {
  source: 'webhook_1',
  components: [
    { id: 'webhook_1', provider: 'webhook', config: {} },
    ...stages.map((code, i) => ({ id: `code_${i + 1}`, provider: 'code', config: { code }, input: [{ lane: 'text', from: i === 0 ? 'webhook_1' : `code_${i}` }] })),
    { id: 'response_1', provider: 'response', config: {}, input: [{ lane: 'text', from: 'code_3' }] },
  ],
};

export default async function pipelinesBench(): Promise<BenchRow[]> {
  const sidex = new Sidex({ dataDir: path.join(tmp, 'data'), engine: { poolSize: 4, maxConcurrent: 64 } });
  let rows: BenchRow[];
  try {
    await sidex.engine.warm();
    rows = [...(await itemRate(sidex)), ...(await terminateLatency(sidex)), ...(await useLatency(sidex))];
  } finally {
    await sidex.close({ graceMs: 500 });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return [...rows, ...(await overTheWire())];
}

/** The same two figures through `sidex serve` and the SDK, over one WebSocket (DAP at /task/service). */
async function overTheWire(): Promise<BenchRow[]> {
  const server = await spawnServer({ env: { SIDEX_POOL_SIZE: '4' } });
  const client = new PipelineClient({ uri: server.url, auth: server.apiKey, env: {} });
  try {
    await client.connect();
    const inFlight = 64;
    const { token } = await client.use({ pipeline: threeStages, threads: inFlight, ttl: 0 });
    const send = async () => {
      // Text, said so: an item without a mime type is data, off the code stages' text lane (RocketRide's rule).
      const result = await client.send(token, ' hello pipeline ', {}, 'text/plain');
      checkShouted(result);
    };
    await rate(2000, inFlight, send); // warm-up
    const items = await rate(30_000, inFlight, send);
    await client.terminate(token);

    const latencies: number[] = [];
    for (let i = 0; i < 30; i++) {
      const { token: idle } = await client.use({ pipeline: threeStages });
      await client.send(idle, 'one item');
      await sleep(100); // the pool's refill (a Node boot) is not what is measured
      const began = process.hrtime.bigint();
      await client.terminate(idle);
      latencies.push(ms(began));
    }
    const p50 = percentile(latencies, 50);
    return [
      {
        name: `pipeline items/s over ONE DAP connection (sidex serve + PipelineClient; send = open, write, close; ${inFlight} in flight)`,
        value: items,
        unit: '/s',
        target: '>= 5,000/s',
        pass: items >= 5000,
      },
      { name: 'terminate latency p50 over the wire, idle pipeline (terminate call to its reply: task ended, no process left)', value: p50, unit: 'ms', target: '< 20 ms', pass: p50 < 20 },
      { name: 'terminate latency p99 over the wire, idle pipeline', value: percentile(latencies, 99), unit: 'ms' },
    ];
  } finally {
    await client.disconnect();
    await stopAndRemove(server);
  }
}

/** Small text items through webhook -> code -> code -> code -> response. */
async function itemRate(sidex: Sidex): Promise<BenchRow[]> {
  const inFlight = 64;
  const { token } = await sidex.pipelines.use({ pipeline: threeStages, threads: inFlight, ttl: 0 });
  const send = async () => {
    const result = await sidex.pipelines.send(token, ' hello pipeline ');
    checkShouted(result);
  };
  await rate(2000, inFlight, send); // warm-up: compiled code, JIT
  const concurrent = await rate(30_000, inFlight, send);
  const oneByOne = await rate(3000, 1, send);
  await sidex.pipelines.terminate(token);

  // The same three stages without a task: one execution per item.
  await sidex.engine.warm();
  const perExecution = await rate(200, 4, async () => {
    const started = await sidex.sideExecution.startWithCode(`let input = params.input; ${stages.map((s) => `input = await (async () => { ${s} })();`).join(' ')} return input;`, { input: ' hello ' });
    if (!started.success) throw new Error(started.error);
    await sidex.sideExecution.wait(started.sideExecutionId);
  });
  return [
    {
      name: `pipeline items/s, 3-stage code pipeline, small text items (${inFlight} in flight, threads ${inFlight}, in process)`,
      value: concurrent,
      unit: '/s',
      baseline: 'one execution per item, same 3 stages (4 at a time)',
      baselineValue: perExecution,
      ratio: `${round(concurrent / perExecution, 0)}x`,
      target: '>= 5,000/s',
      pass: concurrent >= 5000,
    },
    { name: 'pipeline items/s, one item at a time (send after send)', value: oneByOne, unit: '/s' },
  ];
}

/** terminate() of a task with nothing in progress, to the reply: the task has ended and its process is gone. */
async function terminateLatency(sidex: Sidex): Promise<BenchRow[]> {
  const ours: number[] = [];
  const stops: number[] = [];
  for (let i = 0; i < 30; i++) {
    await sidex.engine.warm();
    const { token } = await sidex.pipelines.use({ pipeline: threeStages });
    await sidex.pipelines.send(token, 'one item');
    await sidex.engine.warm(); // the pool's refill (a Node boot) is not what is measured
    await sleep(20);
    const began = process.hrtime.bigint();
    await sidex.pipelines.terminate(token);
    ours.push(ms(began));

    await sidex.engine.warm();
    const started = await sidex.sideExecution.startWithCode('await new Promise((r) => ctx.signal.addEventListener("abort", r));');
    if (!started.success) throw new Error(started.error);
    await sidex.engine.warm();
    await sleep(20);
    const t = process.hrtime.bigint();
    await sidex.sideExecution.stop(started.sideExecutionId);
    stops.push(ms(t));
  }
  const p50 = percentile(ours, 50);
  const p99 = percentile(ours, 99);
  return [
    {
      name: 'terminate latency p50, idle pipeline (reply when the task has ended, no process left)',
      value: p50,
      unit: 'ms',
      baseline: 'engine stop of an idle side execution',
      baselineValue: percentile(stops, 50),
      ratio: `${round(p50 / percentile(stops, 50), 2)}x`,
      target: '< 20 ms',
      pass: p50 < 20,
    },
    { name: 'terminate latency p99, idle pipeline', value: p99, unit: 'ms', baseline: 'engine stop p99', baselineValue: percentile(stops, 99) },
  ];
}

/** use() to its answer: the task's process runs and its pipeline is built. */
async function useLatency(sidex: Sidex): Promise<BenchRow[]> {
  const ours: number[] = [];
  for (let i = 0; i < 20; i++) {
    await sidex.engine.warm();
    const began = process.hrtime.bigint();
    const { token } = await sidex.pipelines.use({ pipeline: threeStages });
    ours.push(ms(began));
    await sidex.pipelines.terminate(token);
  }
  return [{ name: 'use latency p50 (call to RUNNING, pipeline built, warm pool)', value: percentile(ours, 50), unit: 'ms' }];
}
