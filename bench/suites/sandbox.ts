// What the sandbox (bubblewrap around every runtime) costs and what the
// engine's limits let through, measured side by side in this one run: start
// and stop latency in sandbox vs process isolation and vs execa, forced stop
// over its grace, and how far a grandchild outgrows the memory and output
// limits before it is killed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Sidex } from '../../packages/sidex/dist/index.js';
import type { StartSpec } from '../../packages/sidex/dist/engine/execution.js';
import { dataKeyOf, findMarked, markerMatcher } from '../../packages/sidex/dist/engine/tree/marker.js';
import { execaKill, timeCooperativeStop } from '../lib/cooperative-stop.js';
import { percentile, round, type BenchRow } from '../lib/row.js';
import { ms, sleep } from '../lib/timing.js';

type Mode = 'sandbox' | 'process';
const MB = 1024 * 1024;
const START_RUNS = 60;
// The row the target hangs on: 30 stops put its ratio anywhere in 1.51–1.65x over one afternoon here.
const STOP_RUNS = 80;
const FORCED_RUNS = 10;
const GRACE_MS = 200;
const LIMIT_RUNS = 3;
const MEMORY_LIMIT = 64 * MB;
const OUTPUT_LIMIT = 10 * MB;
/** Every execution here ends by itself past this, whatever goes wrong. */
const SAFETY_TIMEOUT_MS = 30_000;

// Waits a moment before returning: a bare `return 1` can end before the start
// call hears it is running, and the row would time a different thing.
const TRIVIAL = 'await new Promise((r) => setTimeout(r, 20)); return 1;';
// The runtime ignores SIGTERM and never reads its stop message; sh traps TERM.
const STUBBORN = `
  const sh = require('node:child_process').spawn('sh', ['-c', 'trap "" TERM; echo up; while :; do sleep 1; done'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((r) => sh.stdout.once('data', r));
  process.removeAllListeners('SIGTERM'); process.on('SIGTERM', () => {});
  console.log('ready');
  for (;;) {}`;
// Grows 4 MB every 20 ms (200 MB/s), up to 1 GB so a limit that never strikes cannot take the machine.
const PERL_GROWTH = `
  require('node:child_process').spawn('/usr/bin/perl', ['-e', 'my $s = ""; while (length($s) < 1024 * 1024 * 1024) { $s .= "x" x (4 * 1024 * 1024); select(undef, undef, undef, 0.02); } sleep 60;'], { stdio: 'inherit' });
  await new Promise(() => {});`;
const FLOOD = `
  require('node:child_process').spawn('sh', ['-c', 'head -c 1000000000 /dev/zero'], { stdio: 'inherit' });
  await new Promise(() => {});`;

const inline = (code: string, extra: Partial<StartSpec> = {}): StartSpec => ({ prefix: 'side', kind: 'inline', name: 'bench', code, timeoutMs: SAFETY_TIMEOUT_MS, ...extra });

export default async function sandboxBench(): Promise<BenchRow[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-bench-sandbox-'));
  const engines: Record<Mode, Sidex> = {
    sandbox: new Sidex({ dataDir: path.join(tmp, 'sandbox'), engine: { isolation: 'sandbox', poolSize: 2 } }),
    process: new Sidex({ dataDir: path.join(tmp, 'process'), engine: { isolation: 'process', poolSize: 2 } }),
  };
  try {
    const rows: BenchRow[] = [];
    try {
      await bothWarm(engines);
      rows.push(
        ...(await startLatency(engines)),
        ...(await forcedStop(engines)),
        ...(await cooperativeStop(engines)),
        ...(await memoryOvershoot(engines.sandbox)),
        ...(await outputOvershoot(engines.sandbox)),
      );
    } finally {
      await Promise.all(Object.values(engines).map((s) => s.close({ graceMs: 500 })));
    }
    const left = Object.keys(engines).reduce((n, mode) => n + findMarked(markerMatcher(`${dataKeyOf(path.join(tmp, mode))}.`, 'prefix')).length, 0);
    rows.push({ name: 'processes of both engines left once they closed', value: left, unit: '', target: '0', pass: left === 0 });
    return rows;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Neither engine's pool refills while the other is timed. */
const bothWarm = (engines: Record<Mode, Sidex>) => Promise.all(Object.values(engines).map((s) => s.engine.warm()));

/** The mode timed first alternates, so neither always runs on a machine the other just disturbed. */
const orderOf = (i: number): Mode[] => (i % 2 === 0 ? ['sandbox', 'process'] : ['process', 'sandbox']);

async function startLatency(engines: Record<Mode, Sidex>): Promise<BenchRow[]> {
  const samples: Record<Mode, number[]> = { sandbox: [], process: [] };
  for (let i = 0; i < START_RUNS; i++) {
    for (const mode of orderOf(i)) {
      await bothWarm(engines);
      const { engine } = engines[mode];
      const began = process.hrtime.bigint();
      const record = await engine.start(inline(TRIVIAL));
      samples[mode].push(ms(began));
      if (record.status !== 'running') throw new Error(`start answered ${record.status}, not running`);
      await engine.wait(record.id);
    }
  }
  const ours = percentile(samples.sandbox, 50);
  const theirs = percentile(samples.process, 50);
  return [
    {
      name: `start latency p50, warm pool, start call until it answers running (${START_RUNS} each)`,
      value: ours,
      unit: 'ms',
      baseline: 'process isolation, same run',
      baselineValue: theirs,
      ratio: `${round(ours / theirs, 2)}x`,
      target: '<= 1.2x',
      pass: ours / theirs <= 1.2,
    },
    {
      name: 'start latency p99',
      value: percentile(samples.sandbox, 99),
      unit: 'ms',
      baseline: 'process isolation, same run',
      baselineValue: percentile(samples.process, 99),
      ratio: `${round(percentile(samples.sandbox, 99) / percentile(samples.process, 99), 2)}x`,
    },
  ];
}

/** Starts `code` and waits until its output holds `word`. */
async function startUntil(sidex: Sidex, spec: StartSpec, word: string): Promise<string> {
  const record = await sidex.engine.start(spec);
  if (record.status !== 'running') throw new Error(`start answered ${record.status}: ${record.error?.message ?? ''}`);
  const end = Date.now() + 20_000;
  for (;;) {
    const now = await sidex.engine.get(record.id);
    if (now?.stdout.text.includes(word)) return record.id;
    if (!now || now.status !== 'running' || Date.now() > end) throw new Error(`no "${word}" from ${record.id} (${now?.status})`);
    await sleep(10);
  }
}

/** Processes of the execution's tree still alive (by its marker). */
async function leftOf(sidex: Sidex, id: string): Promise<number> {
  const marker = (await sidex.engine.get(id))?.marker;
  return marker ? findMarked(markerMatcher(marker, 'exact')).length : 0;
}

async function forcedStop(engines: Record<Mode, Sidex>): Promise<BenchRow[]> {
  const over: Record<Mode, number[]> = { sandbox: [], process: [] };
  let left = 0;
  let notForced = 0;
  for (let i = 0; i < FORCED_RUNS; i++) {
    for (const mode of orderOf(i)) {
      await bothWarm(engines);
      const sidex = engines[mode];
      const id = await startUntil(sidex, inline(STUBBORN), 'ready');
      const began = process.hrtime.bigint();
      const { record } = await sidex.engine.stop(id, { graceMs: GRACE_MS });
      over[mode].push(ms(began) - GRACE_MS);
      if (!record.forced) notForced++;
      left += await leftOf(sidex, id);
    }
  }
  const ours = percentile(over.sandbox, 50);
  const theirs = percentile(over.process, 50);
  return [
    {
      name: `forced stop p50 over its ${GRACE_MS} ms grace: SIGTERM-ignoring runtime + sh grandchild trapping TERM (${FORCED_RUNS} each)`,
      value: ours,
      unit: 'ms',
      baseline: 'process isolation, same run',
      baselineValue: theirs,
      ratio: `${round(ours - theirs, 1)} ms more`,
      target: '<= 15 ms over grace',
      pass: ours <= 15,
    },
    {
      name: 'forced stop, worst over grace',
      value: Math.max(...over.sandbox),
      unit: 'ms',
      baseline: 'process isolation, same run',
      baselineValue: Math.max(...over.process),
    },
    {
      name: 'forced stop: runs not recorded as forced / processes of the trees alive after the stop answered',
      value: notForced + left,
      unit: '',
      target: '0',
      pass: notForced + left === 0,
    },
  ];
}

async function cooperativeStop(engines: Record<Mode, Sidex>): Promise<BenchRow[]> {
  const samples: Record<Mode | 'execa', number[]> = { sandbox: [], process: [], execa: [] };
  let notPartial = 0;
  for (let i = 0; i < STOP_RUNS; i++) {
    for (const mode of orderOf(i)) {
      await bothWarm(engines);
      const stop = await timeCooperativeStop(engines[mode].engine);
      samples[mode].push(stop.ms);
      if (!stop.partial) notPartial++;
    }
    samples.execa.push(await execaKill());
  }
  const [ours, proc, theirs] = [percentile(samples.sandbox, 50), percentile(samples.process, 50), percentile(samples.execa, 50)];
  return [
    {
      name: `cooperative stop p50, onStop handler, stop() until answered (${STOP_RUNS} each)`,
      value: ours,
      unit: 'ms',
      baseline: "execa kill() of a bare child (node -e 'setInterval(()=>{},1000)'), until its exit is seen",
      baselineValue: theirs,
      ratio: `${round(ours / theirs, 2)}x`,
      target: '<= 1.2x',
      pass: ours / theirs <= 1.2,
    },
    {
      name: 'cooperative stop p50, process isolation (for comparison)',
      value: proc,
      unit: 'ms',
      baseline: 'execa kill() of a bare child',
      baselineValue: theirs,
      ratio: `${round(proc / theirs, 2)}x`,
    },
    {
      name: 'cooperative stop: stops that did not end stopped with the partial result',
      value: notPartial,
      unit: '',
      target: '0',
      pass: notPartial === 0,
    },
  ];
}

async function memoryOvershoot(sidex: Sidex): Promise<BenchRow[]> {
  const runs: Array<{ overMb: number; ended: string; ms: number }> = [];
  for (let i = 0; i < LIMIT_RUNS; i++) {
    await sidex.engine.warm();
    const began = process.hrtime.bigint();
    const started = await sidex.engine.start(inline(PERL_GROWTH, { memoryLimitBytes: MEMORY_LIMIT }));
    const record = await sidex.engine.wait(started.id);
    runs.push({ overMb: (record.memory.peak - MEMORY_LIMIT) / MB, ended: endOf(record), ms: ms(began) });
  }
  const worst = runs.reduce((a, b) => (b.overMb > a.overMb ? b : a));
  return [
    {
      name: `memory: perl grandchild growing 4 MB / 20 ms under a ${MEMORY_LIMIT / MB} MB limit, recorded peak minus the limit, worst of ${LIMIT_RUNS} (each: ${runs.map((r) => round(r.overMb, 1)).join(', ')} MB); ended ${[...new Set(runs.map((r) => r.ended))].join('; ')}`,
      value: worst.overMb,
      unit: 'MB',
      baseline: 'the limit',
      baselineValue: MEMORY_LIMIT / MB,
      ratio: `peak ${round((worst.overMb * MB + MEMORY_LIMIT) / MEMORY_LIMIT, 2)}x the limit`,
    },
  ];
}

async function outputOvershoot(sidex: Sidex): Promise<BenchRow[]> {
  const allowed = Math.max(OUTPUT_LIMIT * 0.1, 4 * MB);
  const runs: Array<{ over: number; ended: string }> = [];
  for (let i = 0; i < LIMIT_RUNS; i++) {
    await sidex.engine.warm();
    const started = await sidex.engine.start(inline(FLOOD, { outputLimitBytes: OUTPUT_LIMIT }));
    const record = await sidex.engine.wait(started.id);
    const files = sidex.engine.logFiles(started.id);
    const onDisk = fs.statSync(files.stdout).size + fs.statSync(files.stderr).size;
    runs.push({ over: onDisk - OUTPUT_LIMIT, ended: endOf(record) });
    // A run's log can be near 1 GB: gone before the next.
    for (const file of Object.values(files)) fs.rmSync(file, { force: true });
  }
  const worst = Math.max(...runs.map((r) => r.over));
  return [
    {
      name: `output: grandchild writing 1 GB (head -c) under a ${OUTPUT_LIMIT / MB} MB limit, bytes in its .out/.err logs minus the limit, worst of ${LIMIT_RUNS} (each: ${runs.map((r) => round(r.over / MB, 1)).join(', ')} MB); ended ${[...new Set(runs.map((r) => r.ended))].join('; ')}`,
      value: worst / MB,
      unit: 'MB',
      baseline: 'allowed: max(10 %, 4 MB) of the limit',
      baselineValue: allowed / MB,
      ratio: `${round(worst / allowed, 1)}x the allowance`,
      target: '<= 1x the allowance (once the kernel enforces it)',
      pass: worst <= allowed,
    },
  ];
}

function endOf(record: { status: string; error?: { code?: string }; stopReason?: string }): string {
  return [record.status, record.error?.code, record.stopReason && `stopReason ${record.stopReason}`].filter(Boolean).join(' ');
}
