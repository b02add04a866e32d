import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { Sidex } from '../packages/sidex/dist/index.js';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-dbg-'));
const sidex = new Sidex({ dataDir: path.join(tmp, 'data'), engine: { poolSize: 2 } });
const { engine } = sidex;
await engine.warm();
console.log('warm');
const seen = new Map<string, bigint>();
engine.on('output', (e: { id: string }) => { if (!seen.has(e.id)) seen.set(e.id, process.hrtime.bigint()); });
for (let i = 0; i < 4; i++) {
  await engine.warm();
  console.log(i, 'warm again');
  const record = await engine.start({ prefix: 'side', kind: 'command', name: 'b', argv: ['/bin/echo', 'hi'], timeoutMs: 30000 });
  console.log(i, 'started', record.status);
  const ended = await engine.wait(record.id);
  console.log(i, 'ended', ended.status, seen.has(record.id));
  const child = execa('/bin/echo', ['hi'], { buffer: false });
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  await child;
  console.log(i, 'execa done');
}
await sidex.close();
