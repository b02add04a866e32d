// What making code unwindable costs (runtime/unwind): a loop of a million
// awaits of a resolved promise, compiled as inline code with its awaits
// rewritten and as written, run side by side in this process (the engine's
// rewrite, the runtime's compile and hooks, no engine around them); and how long a stop of code
// awaiting in a loop takes to run its finally blocks, through a real engine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sidex } from '../../packages/sidex/dist/index.js';
import { compileInline } from '../../packages/sidex/dist/runtime/compile-inline.js';
import { installAwaitHooks } from '../../packages/sidex/dist/runtime/unwind/awaits.js';
import { instrumentAwaits } from '../../packages/sidex/dist/runtime/unwind/instrument.js';
import { percentile, round, type BenchRow, type BenchSuite } from '../lib/row.js';

const AWAITS = 1_000_000;
const ROUNDS = 5;
const STOPS = 20;
const LOOP = `let n = 0; for (let i = 0; i < ${AWAITS}; i++) n += await Promise.resolve(i); return n;`;

async function timeLoop(unwindable: boolean): Promise<number> {
  const code = unwindable ? instrumentAwaits(LOOP, 'body').code : LOOP;
  const compiled = compileInline(code, path.join(os.tmpdir(), 'bench-unwind.js'), []);
  const began = performance.now();
  await compiled.run({}, {});
  return performance.now() - began;
}

async function stopLatency(): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-bench-unwind-'));
  const sidex = new Sidex({ dataDir: path.join(dir, 'data'), projectDir: dir, engine: { poolSize: 2 } });
  try {
    await sidex.engine.warm();
    const samples: number[] = [];
    for (let i = 0; i < STOPS; i++) {
      const started = await sidex.sideExecution.startWithCode(`try { for (;;) await new Promise((r) => setTimeout(r, 1)); } finally { console.log('cleaned'); }`);
      if (!started.success) throw new Error(started.error);
      await new Promise((r) => setTimeout(r, 30));
      const began = performance.now();
      const stopped = await sidex.sideExecution.stop(started.sideExecutionId, { graceMs: 30_000 });
      samples.push(performance.now() - began);
      if (!stopped.success || stopped.forced || !stopped.output?.includes('cleaned')) throw new Error('the stop did not unwind the loop');
    }
    return samples;
  } finally {
    await sidex.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const suite: BenchSuite = async () => {
  installAwaitHooks();
  const plain: number[] = [];
  const rewritten: number[] = [];
  // Alternating, so that neither gets the warmer JIT or the quieter moment.
  for (let i = 0; i < ROUNDS; i++) {
    plain.push(await timeLoop(false));
    rewritten.push(await timeLoop(true));
  }
  const perAwait = (ms: number) => (ms * 1e6) / AWAITS; // ns
  const ours = perAwait(percentile(rewritten, 50));
  const theirs = perAwait(percentile(plain, 50));
  const stops = await stopLatency();
  const stopP50 = percentile(stops, 50);
  const rows: BenchRow[] = [
    {
      name: `cost per await, a loop of ${AWAITS.toLocaleString('en')} awaits of a resolved promise, awaits rewritten to be unwindable (median of ${ROUNDS})`,
      value: round(ours, 1),
      unit: 'ns',
      baseline: 'the same code as written',
      baselineValue: round(theirs, 1),
      ratio: `${round(ours / theirs, 2)}x (+${round(ours - theirs, 1)} ns an await)`,
    },
    {
      name: `stop of code awaiting in a loop, until answered with its finally block run, p50 of ${STOPS} (grace 30 s, so never SIGKILL)`,
      value: round(stopP50, 2),
      unit: 'ms',
      target: '< 50 ms',
      pass: stopP50 < 50,
    },
  ];
  return rows;
};

export default suite;
