// Engine figures of issue 2, each beside its baseline measured in the same run:
// start latency vs a cold fork, stop latency, forced stop vs execa, throughput
// vs a raw fork-and-exit loop, output capture vs a raw pipe.
import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { Sidex } from '../../packages/sidex/dist/index.js';
import { percentile, round, type BenchRow } from '../lib/row.js';
import { ms, rate, sleep } from '../lib/timing.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-bench-'));
const trivial = path.join(tmp, 'trivial.cjs');
fs.writeFileSync(trivial, "process.stdout.write('x\\n');");
const exitOnly = path.join(tmp, 'exit.cjs');
fs.writeFileSync(exitOnly, '');
const TOTAL_OUTPUT = 200 * 1024 * 1024;
const flood = path.join(tmp, 'flood.cjs');
fs.writeFileSync(
  flood,
  `const chunk = Buffer.alloc(64 * 1024, 120); const fd = 1; const fs = require('fs');
   for (let sent = 0; sent < ${TOTAL_OUTPUT}; sent += chunk.length) fs.writeSync(fd, chunk);`,
);

// Baselines fork a plain Node, not one carrying this runner's --import tsx.
const plainNode: string[] = [];

export default async function engineBench(): Promise<BenchRow[]> {
  const sidex = new Sidex({ dataDir: path.join(tmp, 'data'), engine: { poolSize: 4, maxConcurrent: 64 } });
  try {
    await sidex.engine.warm();
    return [
      ...(await startLatency(sidex)),
      ...(await cooperativeStop(sidex)),
      ...(await forcedStop(sidex)),
      ...(await throughput(sidex)),
      ...(await capture(sidex)),
    ];
  } finally {
    await sidex.close({ graceMs: 500 });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Start call to the first stdout byte, warm pool vs a cold fork(), alternated. */
async function startLatency(sidex: Sidex): Promise<BenchRow[]> {
  const ours: number[] = [];
  const cold: number[] = [];
  for (let i = 0; i < 60; i++) {
    await sidex.engine.warm();
    ours.push(await firstByte(sidex, "process.stdout.write('x\\n')"));
    cold.push(await coldForkFirstByte());
  }
  const p50 = percentile(ours, 50);
  const coldP50 = percentile(cold, 50);
  return [
    {
      name: 'start latency p50 (start call to first stdout byte)',
      value: p50,
      unit: 'ms',
      baseline: 'cold child_process.fork',
      baselineValue: coldP50,
      ratio: `${round(coldP50 / p50, 1)}x faster`,
      target: '>= 15x faster',
      pass: coldP50 / p50 >= 15,
    },
    {
      name: 'start latency p99',
      value: percentile(ours, 99),
      unit: 'ms',
      baseline: 'cold child_process.fork',
      baselineValue: percentile(cold, 99),
      ratio: `${round(percentile(cold, 99) / percentile(ours, 99), 1)}x faster`,
    },
  ];
}

function firstByte(sidex: Sidex, code: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const began = process.hrtime.bigint();
    let id: string | undefined;
    let took: number | undefined;
    const off = sidex.sideExecution.on('output', (e) => {
      if (took === undefined && (id === undefined || e.id === id)) took = ms(began);
    });
    sidex.sideExecution.startWithCode(code).then(async (started) => {
      if (!started.success) return reject(new Error(started.error));
      id = started.sideExecutionId;
      await sidex.sideExecution.wait(id);
      off();
      if (took === undefined) reject(new Error('no output'));
      else resolve(took);
    }, reject);
  });
}

function coldForkFirstByte(): Promise<number> {
  return new Promise((resolve) => {
    const began = process.hrtime.bigint();
    const child = fork(trivial, { stdio: ['ignore', 'pipe', 'ignore', 'ipc'], execArgv: plainNode });
    let took = 0;
    child.stdout!.once('data', () => (took = ms(began)));
    child.once('exit', () => resolve(took));
  });
}

async function cooperativeStop(sidex: Sidex): Promise<BenchRow[]> {
  const ours: number[] = [];
  const execaTimes: number[] = [];
  const coopChild = "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000); process.stdout.write('ready\\n');";
  for (let i = 0; i < 30; i++) {
    await sidex.engine.warm();
    const started = await sidex.sideExecution.startWithCode("ctx.onStop(() => 'partial'); await new Promise(() => {});");
    if (!started.success) throw new Error(started.error);
    await sleep(20);
    const began = process.hrtime.bigint();
    await sidex.sideExecution.stop(started.sideExecutionId);
    ours.push(ms(began));

    execaTimes.push(await execaStop(coopChild, {}));
  }
  const p50 = percentile(ours, 50);
  return [
    {
      name: 'stop latency, cooperative code p50 (onStop, partial result, tree empty)',
      value: p50,
      unit: 'ms',
      baseline: 'execa kill() of a child that exits on SIGTERM',
      baselineValue: percentile(execaTimes, 50),
      ratio: `${round(percentile(execaTimes, 50) / p50, 2)}x`,
      target: '<= 10 ms',
      pass: p50 <= 10,
    },
  ];
}

async function forcedStop(sidex: Sidex): Promise<BenchRow[]> {
  const grace = 200;
  const ours: number[] = [];
  const theirs: number[] = [];
  const busy = "process.on('SIGTERM', () => {}); process.stdout.write('ready\\n'); for (;;) {}";
  for (let i = 0; i < 10; i++) {
    const started = await sidex.sideExecution.startWithCode("process.removeAllListeners('SIGTERM'); process.on('SIGTERM', () => {}); for (;;) {}");
    if (!started.success) throw new Error(started.error);
    await sleep(30);
    const began = process.hrtime.bigint();
    await sidex.sideExecution.stop(started.sideExecutionId, { graceMs: grace });
    ours.push(ms(began));

    theirs.push(await execaStop(busy, { forceKillAfterDelay: grace }));
  }
  const p50 = percentile(ours, 50);
  return [
    {
      name: `forced stop p50, SIGTERM-ignoring busy loop, ${grace} ms grace (whole tree gone)`,
      value: p50,
      unit: 'ms',
      baseline: `execa forceKillAfterDelay: ${grace}`,
      baselineValue: percentile(theirs, 50),
      ratio: `${round(p50 - grace, 1)} ms over grace (execa ${round(percentile(theirs, 50) - grace, 1)})`,
      target: `<= ${grace + 15} ms`,
      pass: p50 <= grace + 15,
    },
  ];
}

/** execa: start a child that prints "ready", then time kill() until it has exited. */
async function execaStop(code: string, options: { forceKillAfterDelay?: number }): Promise<number> {
  const child = execa('node', ['-e', code], { ...options, reject: false });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const began = process.hrtime.bigint();
  child.kill();
  await child;
  return ms(began);
}

/** Trivial executions per second, 4 at a time, vs fork-and-exit with the same concurrency. */
async function throughput(sidex: Sidex): Promise<BenchRow[]> {
  const total = 200;
  const concurrency = 4;
  await sidex.engine.warm();
  const oursPerSec = await rate(total, concurrency, async () => {
    const started = await sidex.sideExecution.startWithCode('return 1');
    if (!started.success) throw new Error(started.error);
    await sidex.sideExecution.wait(started.sideExecutionId);
  });
  const rawPerSec = await rate(total, concurrency, () => new Promise<void>((resolve) => fork(exitOnly, { stdio: 'ignore', execArgv: plainNode }).once('exit', () => resolve())));
  return [
    {
      name: `throughput, trivial executions (${concurrency} at a time)`,
      value: oursPerSec,
      unit: '/s',
      baseline: 'raw fork-and-exit loop',
      baselineValue: rawPerSec,
      ratio: `${round(oursPerSec / rawPerSec, 2)}x`,
      target: '>= 0.9x',
      pass: oursPerSec / rawPerSec >= 0.9,
    },
  ];
}

/** 200 MB through stdout: sidex capture (the child writes its log file, sidex follows it) vs a raw pipe read and discarded. */
async function capture(sidex: Sidex): Promise<BenchRow[]> {
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 20);
  const began = process.hrtime.bigint();
  const started = await sidex.sideExecution.startWithCode(`
    const chunk = Buffer.alloc(64 * 1024, 120);
    for (let sent = 0; sent < ${TOTAL_OUTPUT}; sent += chunk.length) process.stdout.write(chunk);
  `);
  if (!started.success) throw new Error(started.error);
  const done = await sidex.sideExecution.wait(started.sideExecutionId);
  const oursSec = ms(began) / 1000;
  clearInterval(sampler);
  const record = await sidex.engine.get(started.sideExecutionId);
  if (!done.success || record?.stdout.bytes !== TOTAL_OUTPUT) throw new Error(`capture lost bytes: ${record?.stdout.bytes}`);

  const rawBegan = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [flood], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', () => {});
    child.once('close', () => resolve());
  });
  const rawSec = ms(rawBegan) / 1000;

  // The same pipe written to a file on the same disk: what capture cannot avoid (every byte goes to the log).
  const fileBegan = process.hrtime.bigint();
  const fileCopy = path.join(os.tmpdir(), `sidex-bench-pipe-${process.pid}.log`);
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [flood], { stdio: ['ignore', 'pipe', 'ignore'] });
    const file = fs.createWriteStream(fileCopy);
    child.stdout.pipe(file);
    file.once('close', () => resolve());
  });
  const fileSec = ms(fileBegan) / 1000;
  fs.rmSync(fileCopy, { force: true });
  const mb = TOTAL_OUTPUT / (1024 * 1024);
  const growth = (rssPeak - rssBefore) / (1024 * 1024);
  return [
    {
      name: 'output capture, 200 MB (log files + index + tails), throughput',
      value: mb / oursSec,
      unit: 'MB/s',
      baseline: 'raw pipe, read and discarded',
      baselineValue: mb / rawSec,
      ratio: `${round(mb / oursSec / (mb / rawSec), 2)}x`,
      target: '>= 0.8x',
      pass: mb / oursSec / (mb / rawSec) >= 0.8,
    },
    {
      name: 'output capture, 200 MB, against a pipe written to a file',
      value: mb / oursSec,
      unit: 'MB/s',
      baseline: 'raw pipe, piped to a file on the same disk',
      baselineValue: mb / fileSec,
      ratio: `${round(mb / oursSec / (mb / fileSec), 2)}x`,
    },
    {
      name: 'server RSS growth while capturing 200 MB',
      value: growth,
      unit: 'MB',
      target: '<= 64 MB',
      pass: growth <= 64,
    },
  ];
}
