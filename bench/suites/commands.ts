// Commands (any program) against execa, the library programs reach for to run
// one, in this one run: how soon the first byte of a program's output is seen,
// and how long past its grace a forced stop of a SIGTERM-ignoring shell tree
// takes, and what each leaves alive.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { Sidex } from '../../packages/sidex/dist/index.js';
import type { StartSpec } from '../../packages/sidex/dist/engine/execution.js';
import { findMarked, markerMatcher } from '../../packages/sidex/dist/engine/tree/marker.js';
import { percentile, round, type BenchRow } from '../lib/row.js';
import { ms, sleep } from '../lib/timing.js';

const FIRST_BYTE_RUNS = 40;
const FORCED_RUNS = 10;
const GRACE_MS = 200;
const SAFETY_TIMEOUT_MS = 30_000;

/**
 * sh and a sleep grandchild, both ignoring SIGTERM (an ignored signal stays
 * ignored across exec). `seconds`, unique per run, finds the grandchild.
 */
const stubborn = (seconds: string) => ['sh', '-c', `trap "" TERM; sleep ${seconds} & echo ready; wait`];

const command = (argv: string[]): StartSpec => ({ prefix: 'side', kind: 'command', name: 'bench', argv, timeoutMs: SAFETY_TIMEOUT_MS });

export default async function commandsBench(): Promise<BenchRow[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-bench-commands-'));
  const sidex = new Sidex({ dataDir: path.join(tmp, 'data'), engine: { poolSize: 2 } });
  try {
    await sidex.engine.warm();
    return [...(await firstByte(sidex)), ...(await forcedStop(sidex))];
  } finally {
    await sidex.close({ graceMs: 500 });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function firstByte(sidex: Sidex): Promise<BenchRow[]> {
  const { engine } = sidex;
  const seen = new Map<string, bigint>();
  const onOutput = (e: { id: string }) => {
    if (!seen.has(e.id)) seen.set(e.id, process.hrtime.bigint());
  };
  engine.on('output', onOutput);
  const ours: number[] = [];
  const theirs: number[] = [];
  try {
    for (let i = 0; i < FIRST_BYTE_RUNS; i++) {
      // Alternating which goes first, so neither always runs on a machine the other just disturbed.
      for (const side of i % 2 === 0 ? ['sidex', 'execa'] : ['execa', 'sidex']) {
        await engine.warm();
        if (side === 'sidex') {
          const began = process.hrtime.bigint();
          const record = await engine.start(command(['/bin/echo', 'hi']));
          const ended = await engine.wait(record.id);
          const first = seen.get(record.id);
          if (first === undefined) throw new Error(`no output event from ${record.id} (${ended.status})`);
          ours.push(Number(first - began) / 1e6);
        } else {
          const began = process.hrtime.bigint();
          const child = execa('/bin/echo', ['hi'], { buffer: false });
          await new Promise((resolve) => child.stdout!.once('data', resolve));
          theirs.push(ms(began));
          await child;
        }
      }
    }
  } finally {
    engine.off('output', onOutput);
  }
  const [o, t] = [percentile(ours, 50), percentile(theirs, 50)];
  return [
    {
      name: `command: start to first output byte of /bin/echo hi, p50, sandbox, warm pool (${FIRST_BYTE_RUNS} each)`,
      value: o,
      unit: 'ms',
      baseline: "execa('/bin/echo', ['hi']), first stdout chunk",
      baselineValue: t,
      ratio: `${round(o / t, 2)}x`,
      target: '<= 1x (no slower than execa)',
      pass: o <= t,
    },
    {
      name: 'command: start to first output byte, p99',
      value: percentile(ours, 99),
      unit: 'ms',
      baseline: 'execa, same run',
      baselineValue: percentile(theirs, 99),
    },
  ];
}

async function forcedStop(sidex: Sidex): Promise<BenchRow[]> {
  const ours: number[] = [];
  const theirs: number[] = [];
  let ourLeft = 0;
  let theirLeft = 0;
  let notForced = 0;
  for (let i = 0; i < FORCED_RUNS; i++) {
    const token = `1000.${process.pid}${i}1`;
    await sidex.engine.warm();
    const id = await startUntilReady(sidex, stubborn(token));
    const marker = (await sidex.engine.get(id))?.marker ?? '';
    const began = process.hrtime.bigint();
    const { record } = await sidex.engine.stop(id, { graceMs: GRACE_MS });
    ours.push(ms(began) - GRACE_MS);
    if (!record.forced) notForced++;
    ourLeft += findMarked(markerMatcher(marker, 'exact')).length + withToken(token).length;

    const theirToken = `1000.${process.pid}${i}2`;
    const child = execa(stubborn(theirToken)[0]!, stubborn(theirToken).slice(1), { forceKillAfterDelay: GRACE_MS, reject: false, buffer: false });
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const killed = process.hrtime.bigint();
    child.kill();
    // Its exit, not its end: the grandchild it leaves holds the stdout pipe, so `await child` would wait for that.
    await exited;
    theirs.push(ms(killed) - GRACE_MS);
    const leftBehind = withToken(theirToken);
    theirLeft += leftBehind.length;
    for (const pid of leftBehind) process.kill(pid, 'SIGKILL');
    await child;
  }
  const [o, t] = [percentile(ours, 50), percentile(theirs, 50)];
  return [
    {
      name: `command: forced stop p50 over its ${GRACE_MS} ms grace, sh trapping TERM with a sleep grandchild (${FORCED_RUNS} each)`,
      value: o,
      unit: 'ms',
      baseline: `execa forceKillAfterDelay: ${GRACE_MS}, kill() until its exit is seen`,
      baselineValue: t,
      ratio: `${round(o - t, 1)} ms more`,
      target: '<= 15 ms over grace',
      pass: o <= 15,
    },
    {
      name: 'command: forced stop, worst over grace',
      value: Math.max(...ours),
      unit: 'ms',
      baseline: 'execa, same run',
      baselineValue: Math.max(...theirs),
    },
    {
      name: 'command: processes alive after the stop answered (sidex; not recorded forced counts too)',
      value: ourLeft + notForced,
      unit: '',
      baseline: 'execa: grandchildren it left running (killed by the bench)',
      baselineValue: theirLeft,
      target: '0',
      pass: ourLeft + notForced === 0,
    },
  ];
}

async function startUntilReady(sidex: Sidex, argv: string[]): Promise<string> {
  const record = await sidex.engine.start(command(argv));
  if (record.status !== 'running') throw new Error(`start answered ${record.status}: ${record.error?.message ?? ''}`);
  const end = Date.now() + 20_000;
  for (;;) {
    const now = await sidex.engine.get(record.id);
    if (now?.stdout.text.includes('ready')) return record.id;
    if (!now || now.status !== 'running' || Date.now() > end) throw new Error(`no "ready" from ${record.id} (${now?.status})`);
    await sleep(5);
  }
}

/** Live host processes whose command line holds `token`. */
function withToken(token: string): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(token)) continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat[stat.lastIndexOf(')') + 2];
      if (state !== 'Z' && state !== 'X') found.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
