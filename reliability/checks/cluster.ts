// The cluster under faults: a Redis of its own (restarted mid-run), the
// PostgreSQL of SIDEX_TEST_POSTGRES_URL, 2 `sidex serve --queue` and 3
// `sidex worker`s. 1,000 executions over the workers with Redis restarted in
// the middle: none lost, none run twice; then a worker SIGKILLed under load:
// its executions supervisor_lost within 10 s, the others done, no process left.
import { SidexClient } from '@sidex/client';
import { postgresMissing } from '../../packages/sidex/test/fixtures/pg-schemas.js';
import { clusterSql, ownRedis, startCluster, type TestCluster } from '../../packages/sidex/test/helpers/cluster.js';
import { freePort } from '../../packages/sidex/test/helpers/server.js';
import type { Check } from '../lib/check.js';
import { processesOf, sleep, until } from '../lib/servers.js';
import { figure, mustBe, type Row } from '../lib/table.js';

const TOTAL = 1000;
const LOSS_MS = 10_000;
/** No execution ending for this long: the batch is stuck. */
const STALL_MS = 30_000;

interface Outcome {
  id: string;
  n: number;
}

/** Starts `count` executions through the servers in turn, `inFlight` at a time; `midway` runs once half are started. */
async function startMany(clients: SidexClient[], count: number, code: (n: number) => string, midway?: () => Promise<void>): Promise<Outcome[]> {
  const started: Outcome[] = [];
  let next = 0;
  let halfway: Promise<void> | undefined;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const n = next++;
        if (n === Math.floor(count / 2) && midway) halfway = midway();
        const reply = await clients[n % clients.length]!.sideExecution.startWithCode(code(n));
        if (!reply.success) throw new Error(`start #${n}: ${reply.error}`);
        started.push({ id: reply.sideExecutionId, n });
      }
    }),
  );
  await halfway;
  return started;
}

/** Status of each record, and how many times each ran (its `running` transitions), from PostgreSQL. */
async function ledger(cluster: TestCluster): Promise<Map<string, { status: string; runs: number; doc: { result?: unknown; stopReason?: string; worker?: string; endedAt?: number; stdout: { text: string } } }>> {
  const rows = await clusterSql<{ id: string; status: string; doc: string; runs: string }>(
    cluster,
    `SELECT e.id, e.status, e.doc, (SELECT count(*) FROM execution_events v WHERE v.execution_id = e.id AND v.type = 'status' AND v.data LIKE '%"status":"running"%') AS runs FROM executions e`,
  );
  return new Map(rows.map((r) => [r.id, { status: r.status, runs: Number(r.runs), doc: JSON.parse(r.doc) }]));
}

const clusterCheck: Check = async ({ log }) => {
  const missing = postgresMissing();
  if (missing) throw new Error(missing);
  const redis = await ownRedis(await freePort());
  let cluster: TestCluster | undefined;
  const clients: SidexClient[] = [];
  const rows: Row[] = [];
  try {
    cluster = await startCluster({ queue: redis.url, servers: 2, workers: 3, workerArgs: ['--concurrency', '4'] });
    const c = cluster;
    clients.push(...c.servers.map((s) => new SidexClient({ url: s.url, apiKey: s.apiKey })));
    await Promise.all(clients.map((client) => client.waitForReady()));

    log(`cluster: ${TOTAL} executions, Redis restarted halfway`);
    let restartMs = 0;
    const began = Date.now();
    const batch = await startMany(clients, TOTAL, (n) => `console.log("run#${n}"); return ${n};`, async () => {
      const t = Date.now();
      await redis.restart();
      restartMs = Date.now() - t;
    });
    const ids = new Set(batch.map((b) => b.id));
    // As long as they keep ending: a loaded 2-core machine runs a few a second.
    let ended = 0;
    let progressAt = Date.now();
    const allEnded = await until(async () => {
      const book = await ledger(c);
      const now = [...ids].filter((id) => ['completed', 'failed', 'stopped', 'timeout'].includes(book.get(id)?.status ?? '')).length;
      if (now > ended) [ended, progressAt] = [now, Date.now()];
      return now === ids.size || Date.now() - progressAt > STALL_MS;
    }, 600_000, 1000) && ended === ids.size;
    const seconds = (Date.now() - began) / 1000;
    const book = await ledger(c);
    const lost = batch.filter(({ id, n }) => book.get(id)?.status !== 'completed' || book.get(id)!.doc.result !== n || !book.get(id)!.doc.stdout.text.includes(`run#${n}\n`)).length;
    const twice = batch.filter(({ id }) => (book.get(id)?.runs ?? 0) > 1).length;
    const perWorker = new Map<string, number>();
    for (const { id } of batch) perWorker.set(book.get(id)?.doc.worker ?? '?', (perWorker.get(book.get(id)?.doc.worker ?? '?') ?? 0) + 1);
    rows.push(
      mustBe('cluster', `${TOTAL} executions over 3 workers, Redis restarted halfway: all ended in time`, allEnded, true),
      mustBe('cluster', `of ${TOTAL}: lost (not completed with their result and output)`, lost, 0),
      mustBe('cluster', `of ${TOTAL}: run more than once`, twice, 0),
      figure('cluster', 'executions per worker', [...perWorker].sort().map(([w, n]) => `${w}: ${n}`).join(', ')),
      figure('cluster', 'Redis restart (SIGTERM to listening again), ms', restartMs),
      figure('cluster', `${TOTAL} executions start to end, executions/s`, (TOTAL / seconds).toFixed(1)),
    );

    log('cluster: a worker SIGKILLed under load');
    const long = await startMany(clients, 12, (n) => `for (let i = 0; i < 30; i++) { console.log("long#${n} " + i); await new Promise((r) => setTimeout(r, 100)); } return ${n};`);
    await until(async () => {
      const now = await ledger(c);
      return long.every(({ id }) => now.get(id)?.status === 'running');
    }, 60_000, 100);
    await sleep(300); // some output written
    const victim = c.workers[0]!;
    const victimData = `${victim.root}/data`;
    victim.child.kill('SIGKILL');
    const killedAt = Date.now();
    const onVictim = (book: Awaited<ReturnType<typeof ledger>>) => long.filter(({ id }) => book.get(id)?.doc.worker === victim.name);
    await until(async () => {
      const now = await ledger(c);
      return onVictim(now).every(({ id }) => now.get(id)?.status === 'failed') && long.every(({ id }) => now.get(id)?.status !== 'running');
    }, 30_000, 100);
    const after = await ledger(c);
    const lostMs = Math.max(0, ...onVictim(after).map(({ id }) => (after.get(id)?.doc.endedAt ?? Infinity) - killedAt));
    await until(() => processesOf(victimData).length === 0, 2000, 20);
    const survivors = processesOf(victimData).length;
    const victims = onVictim(after);
    const others = long.filter((l) => !victims.includes(l));
    rows.push(
      figure('cluster', `of 12 running executions, on the SIGKILLed worker`, victims.length),
      mustBe('cluster', 'of those, not failed/supervisor_lost', victims.filter(({ id }) => after.get(id)?.doc.stopReason !== 'supervisor_lost').length, 0),
      mustBe('cluster', `their loss recorded within ${LOSS_MS / 1000} s`, lostMs <= LOSS_MS, true),
      figure('cluster', 'SIGKILL to the last supervisor_lost record, ms', lostMs),
      mustBe('cluster', 'of those, output lost before the kill (the first line missing)', victims.filter(({ id, n }) => !after.get(id)!.doc.stdout.text.includes(`long#${n} 0\n`)).length, 0),
      mustBe('cluster', 'the others not completed', others.filter(({ id }) => after.get(id)?.status !== 'completed').length, 0),
      mustBe('cluster', 'of the 12, run more than once', long.filter(({ id }) => (after.get(id)?.runs ?? 0) > 1).length, 0),
      mustBe('cluster', "processes of the SIGKILLed worker's executions alive 2 s after", survivors, 0),
    );
    clients.forEach((client) => client.close());
    const dataDirs = c.workers.map((w) => `${w.root}/data`);
    await c.close();
    cluster = undefined;
    rows.push(mustBe('cluster', "processes of any worker's data directory once the cluster stopped", dataDirs.flatMap(processesOf).length, 0));
    return rows;
  } finally {
    clients.forEach((client) => client.close());
    await cluster?.close();
    await redis.close();
  }
};

export default clusterCheck;
