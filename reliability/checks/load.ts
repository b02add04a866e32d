// Load: 1,000 concurrent WebSocket clients (half Codebolt at /codebolt, half
// DAP at /task/service), each sending 100 requests one after another, spread
// over a few forked worker processes so that the client side is not what
// limits a 2-core machine; then a stop storm: 500 concurrent stops over 100
// executions. Every request must get exactly one reply (matched by requestId
// / request_seq), and the storm must leave no process and no wrong status.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { codeChain } from '../../packages/sidex/test/fixtures/pipelines.js';
import { RawDap } from '../../packages/sidex/test/helpers/raw-dap.js';
import { percentile, round, type Check, type CheckContext } from '../lib/check.js';
import type { WorkerReport, WorkerSetup } from '../lib/load-worker.js';
import { ReplyMatcher, sumTallies, type Frame, type ReplyTally } from '../lib/reply-matcher.js';
import { processesMarked, sleep, type TestServer } from '../lib/servers.js';
import { figure, mustBe, type Row } from '../lib/table.js';
import { awaitReady, program, verdict, type Launched } from '../lib/tagged-runs.js';

const CLIENTS = 1000;
const REQUESTS_PER_CLIENT = 100;
const WORKERS = 4;
const STORM_EXECUTIONS = 100;
const STORM_STOPS = 500;
const STORM_SOCKETS = 50;
const WORKER_PATH = fileURLToPath(new URL('../lib/load-worker.ts', import.meta.url));
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** The rows every reply tally gives: lost, duplicated, for nobody, answered once, latency. */
function replyRows(part: string, t: ReplyTally, prefix = ''): Row[] {
  const failures = Object.entries(t.failures);
  return [
    mustBe(part, `${prefix}replies lost (none in 60 s)`, t.lost, 0),
    mustBe(part, `${prefix}replies duplicated (a second reply to one request)`, t.duplicated, 0),
    mustBe(part, `${prefix}replies to requests nobody sent`, t.unexpected, 0),
    mustBe(part, `${prefix}requests answered exactly once`, t.answered, t.sent),
    figure(part, `${prefix}replies with success: false (by code)`, failures.length === 0 ? 'none' : failures.map(([c, n]) => `${c} ${n}`).join(', ')),
    figure(part, `${prefix}latency p50, ms`, round(percentile(t.latenciesMs, 50), 2)),
    figure(part, `${prefix}latency p99, ms`, round(percentile(t.latenciesMs, 99), 2)),
  ];
}

type FromWorker = { type: 'connected'; clients: number; failed: number } | WorkerReport | { type: 'error'; message: string };

function nextMessage(child: ChildProcess, timeoutMs: number): Promise<FromWorker> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`load worker ${child.pid}: no message in ${timeoutMs / 1000} s`)), timeoutMs);
    const onExit = (code: number | null) => reject(new Error(`load worker ${child.pid} exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (m: FromWorker) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      if (m.type === 'error') reject(new Error(`load worker: ${m.message}`));
      else resolve(m);
    });
  });
}

async function manyClients({ fleet, log }: CheckContext, server: TestServer, statusId: string, taskToken: string): Promise<Row[]> {
  const perWorker = CLIENTS / WORKERS;
  const workers = Array.from({ length: WORKERS }, () => {
    const child = fork(WORKER_PATH, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    fleet.adopt({ close: () => child.kill('SIGKILL') });
    return child;
  });
  const setups = workers.map((child, w): WorkerSetup => ({
    type: 'setup',
    url: server.url,
    key: server.apiKey,
    firstClient: w * perWorker,
    codebolt: perWorker / 2,
    dap: perWorker / 2,
    requestsPerClient: REQUESTS_PER_CLIENT,
    statusId,
    taskToken,
    startEvery: 5,
    itemEvery: 5,
    executeEvery: 25,
    pipeline: codeChain('return input.length'),
  }));
  const connecting = workers.map((child) => nextMessage(child, 120_000));
  workers.forEach((child, w) => child.send(setups[w]!));
  const connected = await Promise.all(connecting);
  const open = connected.reduce((n, m) => n + (m.type === 'connected' ? m.clients : 0), 0);
  log(`load: ${open} clients connected over ${WORKERS} workers; go`);
  const done = workers.map((child) => nextMessage(child, 300_000));
  const began = now();
  workers.forEach((child) => child.send({ type: 'go' }));
  const reports = (await Promise.all(done)) as WorkerReport[];
  const seconds = (now() - began) / 1000;
  const t = sumTallies(reports.map((r) => r.tally));
  const sum = (f: (r: WorkerReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  return [
    figure('load', `clients: ${CLIENTS / 2} Codebolt + ${CLIENTS / 2} DAP, spread over ${WORKERS} forked worker processes (the client side must not be the bottleneck on 2 cores)`, `${open} connected`),
    mustBe('load', 'clients that could not connect', CLIENTS - open, 0),
    figure('load', `requests sent (${REQUESTS_PER_CLIENT} per client, one after another; ${sum((r) => r.starts)} starts, ${sum((r) => r.items)} items through a task, ${sum((r) => r.executes)} tasks executed and terminated)`, t.sent),
    ...replyRows('load', t),
    figure('load', 'requests/s over both dialects', round(t.sent / seconds, 0)),
  ];
}

/** 500 stops at once over 100 executions (5 each, from different sockets); every stop one reply, every execution stopped, no process left. */
async function stopStorm({ fleet }: CheckContext, server: TestServer): Promise<Row[]> {
  const client = await fleet.client(server);
  const launched: Launched[] = await Promise.all(
    Array.from({ length: STORM_EXECUTIONS }, async (_, n) => {
      const tag = `storm#${n}`;
      const reply = await client.sideExecution.startWithCode(program(n % 2 ? 'ignoresSigterm' : 'cooperative', tag, 'stop'), {}, undefined, { graceMs: 500 });
      if (!reply.success) throw new Error(`${tag}: start failed: ${reply.error}`);
      return { id: reply.sideExecutionId, tag };
    }),
  );
  // Past the concurrency limit (64) the rest wait queued: they are stopped there.
  const running = (await Promise.all(launched.map((l) => client.sideExecution.getStatus(l.id)))).filter((s) => s.success && s.status === 'running').length;
  await awaitReady(client, launched.slice(0, running), 30_000);
  const sockets = await Promise.all(
    Array.from({ length: STORM_SOCKETS }, () => new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/codebolt`, { headers: { authorization: `Bearer ${server.apiKey}` } });
      fleet.adopt(ws);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    })),
  );
  const matcher = new ReplyMatcher();
  for (const ws of sockets) ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    matcher.reply(frame.requestId, frame);
  });
  const began = now();
  const replies = await Promise.all(
    Array.from({ length: STORM_STOPS }, (_, n) => {
      const requestId = `stop-${n}`;
      const reply = matcher.expect(requestId);
      sockets[n % STORM_SOCKETS]!.send(JSON.stringify({ type: 'sideExecution', action: 'stopSideExecution', sideExecutionId: launched[n % STORM_EXECUTIONS]!.id, graceMs: 500, requestId }));
      return reply;
    }),
  );
  const stormMs = now() - began;
  await sleep(300); // a second reply would arrive now
  const disagreeing = replies.filter((r) => r.code !== 'LOST' && !(r.success === true && ['stopped', 'already_stopped'].includes(r.status))).length;
  const v = await verdict(client, launched, () => 'stop');
  const left = launched.reduce((n, l) => n + (l.marker ? processesMarked(l.marker).length : 0), 0);
  return [
    figure('load', `stop storm: ${STORM_STOPS} concurrent stops over ${STORM_EXECUTIONS} executions (${running} running, the rest queued; half ignore SIGTERM, grace 500 ms), ${STORM_SOCKETS} sockets`, `${round(stormMs, 0)} ms`),
    ...replyRows('load', matcher.tally, 'stop storm: '),
    mustBe('load', 'stop storm: replies other than success stopped / already_stopped', disagreeing, 0),
    mustBe('load', 'stop storm: executions not ended stopped (reason user)', v.wrongStatus, 0),
    mustBe('load', 'stop storm: output lines lost (executions that printed "ready")', v.linesLost, 0),
    mustBe('load', 'stop storm: processes left behind', left, 0),
  ];
}

const load: Check = async (context) => {
  const server = await context.fleet.start();
  const client = await context.fleet.client(server);
  const target = await client.sideExecution.startWithCode('await new Promise((r) => setTimeout(r, 600000))');
  if (!target.success) throw new Error(`start failed: ${target.error}`);
  const dap = context.fleet.adopt(await RawDap.authed(server.url, server.apiKey));
  const task = await dap.request('execute', { pipeline: codeChain('return input.toUpperCase()'), threads: 16 });
  if (!task.success) throw new Error(`execute failed: ${task.message}`);
  const rows = await manyClients(context, server, target.sideExecutionId, task.body.token as string);
  await dap.request('terminate', { token: task.body.token });
  await client.sideExecution.stop(target.sideExecutionId, { graceMs: 500 });
  rows.push(...(await stopStorm(context, server)));
  return rows;
};

export default load;
