// Cooperative stops of two or more builds of the engine, taken in turn in one
// process, with an execa kill after each round. A change to the stop's path
// is worth a fraction of a millisecond, and this machine's noise from one
// bench run to the next is wider than that: only stops interleaved like this,
// compared pair by pair, tell the builds apart (docs/benchmarks-sandbox.md).
//
//   cp -r packages/sidex/dist packages/sidex/dist-before   # before the change
//   npm run build                                          # after it
//   node --import tsx bench/stop-ab.ts sandbox 100 dist-before dist
//
// Builds are named by their directory under packages/sidex/ (dist-* is not
// committed); there they find the packages they import.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sidex } from '../packages/sidex/dist/index.js';
import { execaKill, timeCooperativeStop } from './lib/cooperative-stop.js';
import { percentile, round } from './lib/row.js';

const MODES = ['sandbox', 'process'] as const;
const packageDir = fileURLToPath(new URL('../packages/sidex/', import.meta.url));

interface Build {
  name: string;
  sidex: Sidex;
  dataDir: string;
  stops: number[];
}

async function main(): Promise<void> {
  const [mode = 'sandbox', count = '100', ...names] = process.argv.slice(2);
  const stops = Number(count);
  if (!(MODES as readonly string[]).includes(mode) || !Number.isInteger(stops) || stops < 1 || names.length === 0) {
    throw new Error('usage: stop-ab.ts sandbox|process <stops> <build dir under packages/sidex> [<build dir> ...]');
  }
  const builds: Build[] = [];
  try {
    for (const name of names) {
      const index = path.join(packageDir, name, 'index.js');
      if (!fs.existsSync(index)) throw new Error(`${name}: no ${index}`);
      const { Sidex: Engine } = (await import(index)) as { Sidex: typeof Sidex };
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-stop-ab-'));
      builds.push({ name, dataDir, stops: [], sidex: new Engine({ dataDir, engine: { isolation: mode as (typeof MODES)[number], poolSize: 2 } }) });
    }
    const execa: number[] = [];
    // Each build's stop minus the first build's, round by round.
    const paired = builds.slice(1).map(() => [] as number[]);
    for (let i = 0; i < stops; i++) {
      const turn = new Map<Build, number>();
      // Each build goes first in every other round.
      for (const build of i % 2 ? [...builds].reverse() : builds) {
        await Promise.all(builds.map((b) => b.sidex.engine.warm()));
        const stop = await timeCooperativeStop(build.sidex.engine);
        if (!stop.partial) throw new Error(`${build.name}: a stop did not end stopped with the handler's result`);
        build.stops.push(stop.ms);
        turn.set(build, stop.ms);
      }
      execa.push(await execaKill());
      builds.slice(1).forEach((build, k) => paired[k]!.push(turn.get(build)! - turn.get(builds[0]!)!));
    }
    const kill = percentile(execa, 50);
    for (const build of builds) {
      const p50 = percentile(build.stops, 50);
      console.log(`${build.name}: cooperative stop p50 ${round(p50, 3)} ms, ${round(p50 / kill, 2)}x execa's kill (${round(kill, 3)} ms), ${stops} stops, ${mode}`);
    }
    builds.slice(1).forEach((build, k) => console.log(`${build.name} minus ${builds[0]!.name}, paired median: ${round(percentile(paired[k]!, 50), 3)} ms`));
  } finally {
    for (const build of builds) {
      await build.sidex.close({ graceMs: 500 });
      fs.rmSync(build.dataDir, { recursive: true, force: true });
    }
  }
}

await main();
