// Isolation: hostile code inside executions of real `sidex serve` processes,
// in the default isolation (the sandbox), whose environment holds secrets.
// One row per attack, each with what it got: the secrets in /proc, signals at
// the server and its guardian, the data directory and another execution's
// files, an escapee that leaves its session and every cgroup (ended by stop,
// timeout and server shutdown), the server and guardian SIGKILLed with 50
// trees running, and network 'none'. The attack code is the vitest suite's
// (packages/sidex/test/helpers/attacks.ts).
//
// The limits: a fork bomb under a pids limit, a perl grandchild at 4x a
// memory limit, a 1 GB flood under a 10 MB output limit.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { SidexClient, StartOptions } from '@sidex/client';
import {
  DATA_DIR_ATTACK,
  dataTargets,
  DIAL,
  escapee,
  guardianOf,
  inotifyNextDoor,
  KEYRING_PROBE,
  KILL_MINUS_ONE,
  killAll,
  pidAlive,
  READ_EVERY_ENVIRON,
  serverSecrets,
  setsidTrees,
  SIGNAL_EVERY_PID,
  startVictim,
  stateOf,
  tokensAlive,
  treeTokens,
  withToken,
  WRITE_CHANNEL_LINE,
} from '../../packages/sidex/test/helpers/attacks.js';
import type { Check, CheckContext } from '../lib/check.js';
import { cgroupsOf, processesOf, sleep, until, type StartOptions as ServeOptions, type TestServer } from '../lib/servers.js';
import { figure, mustBe, type Row } from '../lib/table.js';

const PART = 'isolation';
const TRIES = 40;
/** Escapees ended by stop or timeout at once on the shared server. */
const AT_ONCE = 8;
/** Servers started and shut down at once (each costs about a second of both cores to start). */
const SERVERS_AT_ONCE = 2;
const TREES = 50;
const TIMEOUT_MS = 1500;
const KILL_SETTLE_MS = 2000;
const CGROUP_SETTLE_MS = 5000;
/** Nothing here waits longer for one answer. */
const ANSWER_MS = 60_000;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Runs code to its end; answers the final status reply. */
async function run(client: SidexClient, code: string, params: Record<string, unknown> = {}, options: StartOptions = {}) {
  const started = await within(client.sideExecution.startWithCode(code, params, 30_000, options), ANSWER_MS, 'start');
  if (!started.success) throw new Error(`start refused: ${started.error}`);
  const done = await within(client.wait(started.sideExecutionId), ANSWER_MS, 'wait');
  if (!done.success) throw new Error(`wait failed: ${done.error}`);
  return done;
}

interface Target {
  server: TestServer;
  client: SidexClient;
  guardian: number;
}

/** 'yes', or what is wrong: the server or guardian gone or stopped, /healthz not ok, or no work done. */
async function unharmed({ server, client, guardian }: Target): Promise<string> {
  await sleep(200);
  const wrong: string[] = [];
  for (const [name, pid] of [['server', server.child.pid!], ['guardian', guardian]] as const) {
    if (!pidAlive(pid)) wrong.push(`${name} dead`);
    else if (stateOf(pid) === 'T') {
      wrong.push(`${name} stopped`);
      process.kill(pid, 'SIGCONT'); // so that the rest of the part can run
    }
  }
  try {
    const health = (await (await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) })).json()) as { status?: string };
    if (health.status !== 'ok') wrong.push(`/healthz ${health.status}`);
    const work = await run(client, 'return 6 * 7');
    if (work.result !== 42) wrong.push(`work answered ${JSON.stringify(work.result)}`);
  } catch (err) {
    wrong.push((err as Error).message);
  }
  return wrong.length === 0 ? 'yes' : wrong.join(', ');
}

async function secretsInProc(client: SidexClient, secret: string): Promise<Row[]> {
  const done = await run(client, READ_EVERY_ENVIRON, { secret });
  const { found, read, envHasSecret } = done.result as { found: string[]; read: number; envHasSecret: boolean };
  return [
    {
      part: PART,
      measure: `secrets of the server (API key, DATABASE_URL password, AWS secret) in /proc/<ppid>/environ, /proc/1/environ and every /proc/*/environ and cmdline${found.length ? ` — FOUND in ${found.join(', ')}` : ''}`,
      value: `${found.length} of ${read} files read`,
      promise: `0 of ${read} files read`,
      kept: found.length === 0,
    },
    mustBe(PART, 'secrets in its own environment', envHasSecret, false),
  ];
}

async function signals(target: Target): Promise<Row[]> {
  const serverPid = target.server.child.pid!;
  const done = await run(target.client, SIGNAL_EVERY_PID, { serverPid, guardianPid: target.guardian });
  const tried = done.result as Record<string, string>;
  const delivered = [serverPid, target.guardian].flatMap((pid) => ['SIGSTOP', 'SIGKILL'].filter((signal) => tried[`${pid} ${signal}`] === 'sent'));
  const sentAnywhere = Object.values(tried).filter((outcome) => outcome === 'sent').length;
  const afterSignals = await unharmed(target);
  const killer = await run(target.client, KILL_MINUS_ONE);
  const afterKillAll = await unharmed(target);
  return [
    {
      part: PART,
      measure: `SIGSTOP and SIGKILL at the server's and guardian's host pids (given as params), its parent, pid 1 and every pid it sees (${Object.keys(tried).length} tries, ${sentAnywhere} accepted by the kernel): delivered to the server or guardian / both alive, not stopped, still run work`,
      value: `${delivered.length} of 4 / ${afterSignals}`,
      promise: '0 of 4 / yes',
      kept: delivered.length === 0 && afterSignals === 'yes',
    },
    {
      part: PART,
      measure: `kill -STOP -1; kill -KILL -1; kill -KILL 0 from a shell (the attacker ended ${killer.status}${killer.signal ? ` by ${killer.signal}` : ''}): server and guardian alive, not stopped, still run work`,
      value: afterKillAll,
      promise: 'yes',
      kept: afterKillAll === 'yes',
    },
  ];
}

async function dataDirectory({ server, client }: Target, apiKey: string): Promise<Row[]> {
  const keyFile = path.join(server.dataDir, 'api-key');
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, `${apiKey}\n`, { mode: 0o600 });
  const victim = await startVictim(client);
  try {
    const targets = dataTargets(server.dataDir, victim);
    const before = Object.fromEntries(Object.entries(targets).map(([name, file]) => [name, fs.readFileSync(file)]));
    const mark = ['pwned-', randomUUID()];
    const written = mark.join('');
    const result = (await run(client, DATA_DIR_ATTACK, { targets, dataDir: server.dataDir, mark })).result as Record<string, unknown>;
    const names = Object.keys(targets) as Array<keyof typeof targets>;
    const read = names.filter((name) => result[`read ${name}`] === 'read');
    // The server writes its own database meanwhile: for it, what counts is the attacker's mark in any of its files.
    const databaseFiles = fs.readdirSync(server.dataDir).filter((f) => f.startsWith(path.basename(targets.database)));
    const changed = names.filter((name) =>
      name === 'database'
        ? databaseFiles.some((f) => fs.readFileSync(path.join(server.dataDir, f)).includes(written))
        : !fs.readFileSync(targets[name]).equals(before[name]!),
    );
    const outcomes = names.map((name) => `${name} ${result[`read ${name}`]}/${result[`write ${name}`]}`).join(', ');
    return [
      {
        part: PART,
        measure: `read the key file, the database, another execution's scratch file and its log (${outcomes}): files read`,
        value: `${read.length} of ${names.length}`,
        promise: `0 of ${names.length}`,
        kept: read.length === 0,
      },
      {
        part: PART,
        measure: `append to each, and replace the key file (${String(result.replaceKey)}): files changed on disk`,
        value: `${changed.length} of ${names.length}${changed.length ? ` (${changed.join(', ')})` : ''}`,
        promise: `0 of ${names.length}`,
        kept: changed.length === 0,
      },
      figure(PART, 'what it sees of the data directory (readdir)', JSON.stringify(result.listData)),
    ];
  } finally {
    await client.sideExecution.stop(victim.id, { force: true });
  }
}

/** Starts an escapee; answers its id once it is on the host (undefined if it never appeared). */
async function launchEscapee(client: SidexClient, token: string, timeoutMs?: number): Promise<string | undefined> {
  const started = await within(client.sideExecution.startWithCode(escapee(token), {}, timeoutMs ?? 60_000), ANSWER_MS, 'start');
  if (!started.success) throw new Error(`start refused: ${started.error}`);
  return (await until(() => withToken(token).length > 0, 10_000)) ? started.sideExecutionId : undefined;
}

interface Tally {
  left: number;
  unseen: number;
}

function escapeRow(how: string, tally: Tally): Row {
  return {
    part: PART,
    measure: `env -i setsid sh grandchild in every /sys/fs/cgroup/**/cgroup.procs, ${TRIES} tries ended by ${how}: processes left (found by the token in their command line) / tries where it never appeared`,
    value: `${tally.left} / ${tally.unseen}`,
    promise: '0 / 0',
    kept: tally.left === 0 && tally.unseen === 0,
  };
}

async function escapeByStopOrTimeout(client: SidexClient, cause: 'stop' | 'timeout', tokenOf: (n: string) => string): Promise<Row> {
  const tally: Tally = { left: 0, unseen: 0 };
  for (let batch = 0; batch < TRIES / AT_ONCE; batch++) {
    await Promise.all(
      Array.from({ length: AT_ONCE }, async (_, i) => {
        const token = tokenOf(`${cause}-${batch * AT_ONCE + i}`);
        const id = await launchEscapee(client, token, cause === 'timeout' ? TIMEOUT_MS : undefined);
        if (!id) tally.unseen++;
        else if (cause === 'stop') await within(client.sideExecution.stop(id, { graceMs: 200 }), ANSWER_MS, 'stop');
        else await within(client.wait(id), ANSWER_MS, 'wait');
        const left = withToken(token);
        tally.left += left.length;
        killAll(left);
      }),
    );
  }
  return escapeRow(cause === 'stop' ? 'stop (200 ms grace)' : `timeout (${TIMEOUT_MS} ms)`, tally);
}

async function escapeByShutdown({ fleet, log }: CheckContext, serve: ServeOptions, tokenOf: (n: string) => string): Promise<Row> {
  const tally: Tally = { left: 0, unseen: 0 };
  for (let round = 0; round < TRIES / SERVERS_AT_ONCE; round++) {
    if (round % 5 === 0) log(`isolation: escapee × server shutdown ${round * SERVERS_AT_ONCE + 1}-${Math.min(TRIES, (round + 5) * SERVERS_AT_ONCE)}`);
    await Promise.all(
      Array.from({ length: SERVERS_AT_ONCE }, async (_, i) => {
        const token = tokenOf(`shutdown-${round * SERVERS_AT_ONCE + i}`);
        const server = await fleet.start(serve);
        const client = await fleet.client(server);
        if (!(await launchEscapee(client, token))) tally.unseen++;
        client.close();
        await fleet.stop(server);
        const left = withToken(token);
        tally.left += left.length;
        killAll(left);
      }),
    );
  }
  return escapeRow(`server shutdown (SIGTERM; ${TRIES} servers, ${SERVERS_AT_ONCE} at a time)`, tally);
}

async function killServerAndGuardian({ fleet }: CheckContext, serve: ServeOptions, token: string): Promise<Row[]> {
  const server = await fleet.start({ ...serve, env: { ...serve.env, SIDEX_POOL_SIZE: '4' } });
  const client = await fleet.client(server);
  const trees = treeTokens(token, TREES);
  await Promise.all(
    trees.map(async (tree, i) => {
      const started = await within(client.sideExecution.startWithCode(setsidTrees(tree)[i % 2]!), ANSWER_MS, 'start');
      if (!started.success) throw new Error(`start refused: ${started.error}`);
    }),
  );
  await until(() => tokensAlive(trees) === TREES, 30_000, 100);
  const grandchildren = tokensAlive(trees);
  const ofDataDir = processesOf(server.dataDir).length;
  const guardian = guardianOf(server.child.pid!);
  if (guardian === undefined) throw new Error('the guardian of the server was not found');
  process.kill(guardian, 'SIGKILL');
  await fleet.kill(server);
  client.close();
  await sleep(KILL_SETTLE_MS);
  const left = [...new Set([...withToken(token), ...processesOf(server.dataDir)])];
  killAll(left);
  // With the guardian dead too, nobody is left to remove the run's cgroup: the next start on the data directory sweeps it.
  const cgroupsAfterKill = cgroupsOf(server.dataDir).length;
  await fleet.stop(await fleet.restart(server, serve));
  // Its guardian removes what its runtimes left once they are reaped, just after the server exits.
  await until(() => cgroupsOf(server.dataDir).length === 0, CGROUP_SETTLE_MS);
  const cgroupsAfterRestart = cgroupsOf(server.dataDir).length;
  return [
    {
      part: PART,
      measure: `server and guardian SIGKILLed together with ${TREES} running trees (busy loops and awaiting code, each with a setsid grandchild trapping TERM; ${grandchildren} grandchildren and ${ofDataDir} processes of the data directory when killed): processes alive ${KILL_SETTLE_MS / 1000} s later`,
      value: left.length,
      promise: '0',
      kept: left.length === 0 && grandchildren >= TREES,
    },
    {
      part: PART,
      measure: `cgroups of the data directory left by the kill / ${CGROUP_SETTLE_MS / 1000} s after a server started and stopped on it`,
      value: `${cgroupsAfterKill} / ${cgroupsAfterRestart}`,
      promise: 'any / 0',
      kept: cgroupsAfterRestart === 0,
    },
  ];
}

async function network(client: SidexClient): Promise<Row[]> {
  const target = http.createServer((_req, res) => res.end('reached'));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
    const none = String((await run(client, DIAL, { url }, { network: 'none' })).result);
    const all = String((await run(client, DIAL, { url }, { network: 'all' })).result);
    return [
      { part: PART, measure: "network 'none' (start option): fetch of the check's HTTP server on the host's loopback", value: none, promise: 'failed', kept: none.startsWith('failed') },
      mustBe(PART, "network 'all': the same fetch (control)", all, 'reached'),
    ];
  } finally {
    target.closeAllConnections();
    await new Promise<void>((resolve) => target.close(() => resolve()));
  }
}

const MB = 1024 * 1024;
const FOREVER = 'await new Promise(() => {});';

/**
 * The channel to the server and what the code leaves behind: values too deep
 * to serialize, an outcome written to the channel while the code runs on, the
 * kernel keyring, counts the kernel keeps per uid, and a scratch tree deeper
 * than a path may be long.
 */
async function leftovers(target: Target): Promise<Row[]> {
  const { client } = target;
  const deep = `'['.repeat(200000) + ']'.repeat(200000)`;
  // The checkpoint is sent, to its end, before the line is written beside Node's own writes.
  const deepLine = await run(client, `${WRITE_CHANNEL_LINE} await new Promise((sent) => process.send({ type: 'checkpoint', json: ${deep} }, sent));
    await writeChannelLine('{"type":"progress","json":"1","x":' + ${deep} + '}'); ${FOREVER}`);
  const afterDeep = await unharmed(target);
  const FORGE = `process.send({ type: 'result', json: '"forged"', cpuMicros: 0 }); setInterval(() => {}, 50); ${FOREVER}`;
  const began = Date.now();
  const forged = await run(client, FORGE, {}, { graceMs: 500 });
  const forgedMs = Date.now() - began;
  const started = await within(client.sideExecution.startWithCode(FORGE, {}, 1000), ANSWER_MS, 'start');
  if (!started.success) throw new Error(`start refused: ${started.error}`);
  const timedOut = await within(client.wait(started.sideExecutionId), ANSWER_MS, 'wait');
  const keyring = String((await run(client, `return require('node:child_process').execFileSync('/usr/bin/python3', ['-c', probe, 'put', 'sidex-reliability']).toString().trim()`, { probe: KEYRING_PROBE })).result);
  const perUid = process.getuid?.() === 0 ? await within(inotifyNextDoor(client), 3 * ANSWER_MS, 'the inotify rows') : undefined;
  const tree = await run(client, `const fs = require('node:fs'); const base = process.cwd();
    for (let i = 0; i < 3000; i++) { fs.mkdirSync('d'.repeat(200)); process.chdir('d'.repeat(200)); }
    process.chdir(base); return base;`);
  const scratch = String(tree.result);
  const treeGone = await until(() => !fs.existsSync(scratch), 10_000);
  return [
    {
      part: PART,
      measure: 'a checkpoint 200,000 levels deep, then a channel line as deep (JSON.stringify of such a value overflowed and ended the server): how it ended / server and guardian alive, still run work',
      value: `${deepLine.status} ${deepLine.failure?.code ?? ''} / ${afterDeep}`,
      promise: 'failed VALUE_TOO_DEEP / yes',
      kept: deepLine.failure?.code === 'VALUE_TOO_DEEP' && afterDeep === 'yes',
    },
    {
      part: PART,
      measure: `an outcome written to the channel, then running on (it had escaped timeouts, stops and shutdown): with no timeout, ended after, ms (grace 500 ms)`,
      value: forgedMs,
      promise: '< 5000 (its grace period after the report)',
      kept: forgedMs < 5000 && forged.status === 'completed',
    },
    mustBe(PART, 'the same under a 1 s timeout: how it ended (the report decides the status)', `${timedOut.success ? timedOut.status : 'unreadable'}`, 'completed'),
    mustBe(PART, "add_key to the user keyring (keyrings are kept per uid, and a uid is given again once its runtime ended): what the kernel answered", keyring, 'refused EPERM'),
    // Only a root server gives each sandbox a host uid of its own (docs/security.md).
    ...(perUid ? [mustBe(PART, `every inotify instance its uid may have, held by one execution (${perUid.held}): the next execution makes one`, perUid.next, 'made')] : []),
    mustBe(PART, 'a scratch tree 3,000 directories of 200 characters deep: removed once the execution ended', treeGone, true),
  ];
}

/** Each ends failed with its code, its figure beside the limit, and leaves nothing named by its token. */
async function limits(client: SidexClient, server: TestServer, tokenOf: (n: string) => string): Promise<Row[]> {
  const bomb = await run(client, `require('node:child_process').spawn('sh', ['-c', 'bomb() { bomb | bomb & }; bomb', ${JSON.stringify(tokenOf('bomb'))}], { stdio: 'ignore' }); ${FOREVER}`, {}, { pidsLimit: 64 });
  const hog = await run(client, `require('node:child_process').spawnSync('perl', ['-e', '$x = "a" x (256 * 1024 * 1024); sleep 600', ${JSON.stringify(tokenOf('hog'))}], { stdio: 'inherit' }); ${FOREVER}`, {}, { memoryLimitMb: 64 });
  const flood = await run(client, `require('node:child_process').spawn('head', ['-c', '1000000000', '/dev/zero'], { stdio: ['ignore', 'inherit', 'inherit'] }); ${FOREVER}`, {}, { outputLimitMb: 10 });
  const ending = (d: typeof bomb) => `${d.status} ${d.failure?.code ?? ''}`.trim();
  const floodLog = path.join(server.dataDir, 'logs', `${flood.sideExecutionId}.out`);
  const onDisk = fs.existsSync(floodLog) ? fs.statSync(floodLog).size : 0;
  const allowance = Math.max(0.1 * 10 * MB, 4 * MB);
  return [
    mustBe(PART, 'fork bomb under pidsLimit 64: how it ended', ending(bomb), 'failed PIDS_LIMIT'),
    mustBe(PART, 'perl grandchild allocating 4x a 64 MB memoryLimitMb: how it ended', ending(hog), 'failed MEMORY_LIMIT'),
    {
      part: PART,
      measure: 'the same: peak memory recorded, MB over the limit',
      value: (hog.peakMemoryUsage - 64 * MB) / MB,
      promise: '≤ 0 (the kernel kills at the limit)',
      kept: hog.peakMemoryUsage <= 64 * MB,
    },
    mustBe(PART, '1 GB of output from a grandchild under outputLimitMb 10: how it ended', ending(flood), 'failed OUTPUT_LIMIT'),
    {
      part: PART,
      measure: 'the same: bytes on disk past the limit',
      value: onDisk - 10 * MB,
      promise: `≤ ${allowance} (max of 10 %, 4 MB)`,
      kept: onDisk - 10 * MB <= allowance,
    },
  ];
}

const isolation: Check = async (context) => {
  const { fleet, log } = context;
  const { secret, env } = serverSecrets();
  const { SIDEX_API_KEY, ...rest } = env;
  const serve: ServeOptions = { apiKey: SIDEX_API_KEY, env: rest };
  // Every process an attack starts carries this in its command line: one sweep at the end finds any.
  const runToken = `sidex-isolation-${randomUUID()}`;
  const tokenOf = (name: string) => `${runToken}-${name}`;
  const rows: Row[] = [];
  try {
    const server = await fleet.start(serve);
    const client = await fleet.client(server);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { isolation?: { mode?: string } };
    rows.push(mustBe(PART, 'isolation in force (GET /healthz)', health.isolation?.mode ?? 'none', 'sandbox'));
    const guardian = guardianOf(server.child.pid!);
    if (guardian === undefined) throw new Error('the guardian of the server was not found');
    const target: Target = { server, client, guardian };

    log('isolation: secrets in /proc');
    rows.push(...(await secretsInProc(client, secret)));
    log('isolation: signals');
    rows.push(...(await signals(target)));
    log('isolation: the data directory');
    rows.push(...(await dataDirectory(target, SIDEX_API_KEY)));
    log('isolation: escapee × stop');
    rows.push(await escapeByStopOrTimeout(client, 'stop', tokenOf));
    log('isolation: escapee × timeout');
    rows.push(await escapeByStopOrTimeout(client, 'timeout', tokenOf));
    rows.push(await escapeByShutdown(context, serve, tokenOf));
    log('isolation: limits');
    rows.push(...(await limits(client, server, tokenOf)));
    log('isolation: network');
    rows.push(...(await network(client)));
    log('isolation: the channel, the keyring, what it leaves behind');
    rows.push(...(await leftovers(target)));
    rows.push(mustBe(PART, 'the attacked server still up after everything', server.child.exitCode === null && server.child.signalCode === null, true));
    log(`isolation: server and guardian SIGKILLed with ${TREES} trees`);
    rows.push(...(await killServerAndGuardian(context, serve, tokenOf('trees'))));
  } finally {
    const stray = withToken(runToken);
    killAll(stray);
    rows.push(mustBe(PART, "processes named by the part's tokens found by a last sweep (killed)", stray.length, 0));
  }
  return rows;
};

export default isolation;
