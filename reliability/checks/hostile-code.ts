// Hostile code: what runs inside an execution attacks the server through what
// it sends back: malformed messages on its IPC channel (it shares the
// runtime's), results and checkpoints that cannot be serialized or are huge,
// an output flood, bytes that are not UTF-8. The server must stay up, every
// execution must end, its status must stay readable over the SDK and REST, and
// a flood must not grow the server's memory without bound.
import fs from 'node:fs';
import type { SidexClient } from '@sidex/client';
import { round, type Check } from '../lib/check.js';
import { HttpClient } from '../lib/http-routes.js';
import type { TestServer } from '../lib/servers.js';
import { figure, mustBe, type Row } from '../lib/table.js';

const deep = 'let v = 1; for (let i = 0; i < 200000; i++) v = [v];';
const pause = 'await new Promise((r) => setTimeout(r, 100));';

/** Each: what the code does. It must end (any status) with its status readable. */
const HOSTILE: Array<[string, string]> = [
  ['process.send(null)', `process.send(null); ${pause} return 1;`],
  ['process.send of a string', `process.send('checkpoint'); ${pause} return 1;`],
  ['an IPC message of an unknown type', `process.send({ type: 'nonsense' }); ${pause} return 1;`],
  ['an IPC checkpoint that is not JSON', `process.send({ type: 'checkpoint', json: '{' }); ${pause} return 1;`],
  ['an IPC progress that is not JSON', `process.send({ type: 'progress', json: 'x' }); ${pause} return 1;`],
  ['an IPC message that is not JSON', `process.send({ type: 'message', json: '[' }); ${pause} return 1;`],
  ['an IPC result that is not JSON', `process.send({ type: 'result', json: '{', cpuMicros: 1 }); ${pause} return 1;`],
  ['an IPC failure with no error', `process.send({ type: 'failed', error: null, cpuMicros: NaN }); ${pause} return 1;`],
  ['an IPC start failure with no error', `process.send({ type: 'startFailed', error: 7 }); ${pause} return 1;`],
  // Straight to the channel's socket, below process.send: Node's own reader, in the server, threw these out of its handler.
  ['lines that are not JSON, written to the channel\'s fd', `for (const l of ['x', '{"type":', '[1']) require('node:fs').writeSync(process.channel.fd, l + '\\n'); ${pause} return 1;`],
  ['200 MB without an end of line, written to the channel\'s fd', `const fs = require('node:fs'); const chunk = Buffer.alloc(1 << 20, 120); for (let sent = 0; sent < 200 << 20; ) try { sent += fs.writeSync(process.channel.fd, chunk); } catch (e) { if (e.code !== 'EAGAIN') throw e; await new Promise((r) => setTimeout(r, 1)); } return 1;`],
  ['a result nested 200,000 deep', `${deep} return v;`],
  ['a circular result', 'const o = {}; o.o = o; return o;'],
  ['a BigInt result', 'return 10n;'],
  ['a function as result', 'return () => 1;'],
  ['a checkpoint nested 200,000 deep', `${deep} ctx.checkpoint(v); return 1;`],
  ['a thrown value nested 200,000 deep', `${deep} throw v;`],
  ['a thrown object whose toString throws', 'throw { toString() { throw new Error("no"); } };'],
  ['output that is not UTF-8', 'process.stdout.write(Buffer.from([0xff, 0xfe, 0xc3, 0x28])); process.stderr.write(Buffer.from([0xc0, 0x80])); return 1;'],
  ['a result of 50 MB', 'return "x".repeat(50 * 1024 * 1024);'],
  ['a checkpoint of 50 MB', 'ctx.checkpoint("x".repeat(50 * 1024 * 1024)); return 1;'],
  ['a result of 300 MB', 'return "x".repeat(300 * 1024 * 1024);'],
];
const END_WITHIN_MS = 30_000;
const FLOOD_MB = 1000;

interface Outcome {
  what: string;
  ended: boolean;
  status: string;
  /** Status readable over the SDK (getStatus) and REST (GET /v1/executions/:id). */
  sdk: boolean;
  rest: boolean;
}

async function run(client: SidexClient, http: HttpClient, key: string, what: string, code: string): Promise<Outcome> {
  const started = await client.sideExecution.startWithCode(code);
  if (!started.success) return { what, ended: true, status: `refused ${started.code}`, sdk: true, rest: true };
  const id = started.sideExecutionId;
  // Polled over REST, so that a reply too large for one transport does not hide the end from the other.
  const end = Date.now() + END_WITHIN_MS;
  let status = 'unknown';
  let rest = false;
  while (Date.now() < end) {
    const r = await http.send('GET', `/v1/executions/${id}`, { authorization: `Bearer ${key}` });
    rest = r.status === 200;
    status = /"status":"(\w+)"/.exec(r.body)?.[1] ?? `HTTP ${r.status ?? 'no response'}`;
    if (['completed', 'failed', 'stopped', 'timeout'].includes(status) || r.status !== 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let sdk = false;
  try {
    const reply = await client.sideExecution.getStatus(id);
    sdk = reply.success;
  } catch {
    sdk = false;
  }
  return { what, ended: ['completed', 'failed', 'stopped', 'timeout'].includes(status), status, sdk, rest };
}

function rssOf(pid: number): number {
  const statm = fs.readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
  return Number(statm[1]) * 4096;
}

/** 1,000 MB of output as fast as the child can write it (under the default 1 GiB output limit), on a server of its own, while a client asks for the status. */
async function flood(server: TestServer, client: SidexClient): Promise<Row[]> {
  const pid = server.child.pid!;
  const before = rssOf(pid);
  let peak = before;
  const started = await client.sideExecution.startWithCode('const line = "y".repeat(1023) + "\\n"; const chunk = line.repeat(1024); for (let i = 0; i < FLOOD_MB; i++) process.stdout.write(chunk); return 1;'.replace('FLOOD_MB', String(FLOOD_MB)));
  if (!started.success) throw new Error(`start failed: ${started.error}`);
  const latencies: number[] = [];
  let failed = 0;
  for (;;) {
    const t0 = Date.now();
    const s = await client.sideExecution.getStatus(started.sideExecutionId);
    latencies.push(Date.now() - t0);
    peak = Math.max(peak, rssOf(pid));
    if (!s.success) failed++;
    else if (s.status !== 'running' && s.status !== 'starting') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const done = await client.sideExecution.getStatus(started.sideExecutionId);
  const growthMb = (peak - before) / 1024 / 1024;
  return [
    figure('hostile-code', `output flood: ${FLOOD_MB} MB on stdout, status asked every 50 ms meanwhile (${latencies.length} times); slowest answer, ms`, Math.max(...latencies)),
    mustBe('hostile-code', 'output flood: status requests that failed meanwhile', failed, 0),
    mustBe('hostile-code', 'output flood: the execution completed, its output tail marked truncated', done.success ? `${done.status}, truncated ${done.outputTruncated === true}` : 'unreadable', 'completed, truncated true'),
    { part: 'hostile-code', measure: 'output flood: server memory (RSS) growth at its peak, MB', value: round(growthMb, 1), promise: '< 150 (bounded: the tail is 1 MB a stream, the rest goes to the log)', kept: growthMb < 150 },
  ];
}

/** The bytes of every file under `dir`. */
function bytesUnder(dir: string): number {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).reduce((sum, e) => (e.isFile() ? sum + fs.statSync(`${e.parentPath}/${e.name}`).size : sum), 0);
}

/** 300 checkpoints of 1 MB: what the data directory (its database above all) grows by. */
async function checkpointLoop(server: TestServer, client: SidexClient): Promise<Row> {
  const before = bytesUnder(server.dataDir);
  const started = await client.sideExecution.startWithCode("const big = 'c'.repeat(1 << 20); for (let i = 0; i < 300; i++) ctx.checkpoint({ i, big }); return 1;");
  if (!started.success) throw new Error(`start failed: ${started.error}`);
  await client.wait(started.sideExecutionId);
  const growthMb = (bytesUnder(server.dataDir) - before) / 1024 / 1024;
  return { part: 'hostile-code', measure: 'checkpoints in a loop: 300 of 1 MB, data directory growth, MB', value: round(growthMb, 1), promise: '< 50 (the record keeps the last; the history notes a value over 16 KB by its size)', kept: growthMb < 50 };
}

const hostileCode: Check = async ({ fleet, log }) => {
  const server = await fleet.start();
  const client = await fleet.client(server);
  const http = fleet.adopt(new HttpClient(Number(new URL(server.url).port), 4));
  const outcomes: Outcome[] = [];
  for (const [what, code] of HOSTILE) {
    log(`hostile-code: ${what}`);
    outcomes.push(await run(client, http, server.apiKey, what, code));
  }
  const rows: Row[] = outcomes.map((o) => ({
    part: 'hostile-code',
    measure: `${o.what}: ended / status readable over the SDK / over REST`,
    value: `${o.ended ? 'yes' : 'NO'} (${o.status}) / ${o.sdk ? 'yes' : 'NO'} / ${o.rest ? 'yes' : 'NO'}`,
    promise: 'yes / yes / yes',
    kept: o.ended && o.sdk && o.rest,
  }));
  log('hostile-code: checkpoints in a loop');
  rows.push(await checkpointLoop(server, client));
  log('hostile-code: output flood');
  const quiet = await fleet.start();
  rows.push(...(await flood(quiet, await fleet.client(quiet))));
  const health = await http.send('GET', '/healthz', {});
  rows.push(
    mustBe('hostile-code', 'crashes: the server exited', server.child.exitCode !== null || server.child.signalCode !== null, false),
    mustBe('hostile-code', '/healthz after everything', health.status ?? 'no response', 200),
  );
  return rows;
};

export default hostileCode;
