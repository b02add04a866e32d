// A real cluster on loopback: Redis (SIDEX_TEST_REDIS_URL, which .ci/run sets
// after starting one, or a redis-server the caller owns), PostgreSQL (a schema
// of its own), `sidex serve --queue` servers and `sidex worker` processes.
// No test-runner imports: the benchmarks and the reliability suite use it too.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PgSchemas, postgresMissing } from '../fixtures/pg-schemas.js';
import { live, spawnServer, spawnSidex, stopAndRemove, type SidexProcess, type TestServer } from './spawn-server.js';

export const redisUrl = process.env.SIDEX_TEST_REDIS_URL;

/** Why the cluster suite cannot run here, or undefined when it can. */
export function clusterMissing(): string | undefined {
  if (!redisUrl) return 'SIDEX_TEST_REDIS_URL is not set: the cluster suite needs a Redis server (.ci/redis start prints a URL for one)';
  return postgresMissing();
}

/** The Redis database `db` of the test server: each test file takes its own, emptied first. */
export async function redisDb(db: number, url = redisUrl!): Promise<string> {
  const spec = `${url.replace(/\/\d*$/, '')}/${db}`;
  const redis = new Redis(spec, { maxRetriesPerRequest: 1 });
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
  return spec;
}

export interface TestWorker extends SidexProcess {
  name: string;
  root: string;
}

/** A worker with a data directory of its own and `projectDir` (default: an empty one of its own) as its project. */
export async function spawnWorker(queue: string, store: string, name: string, args: string[] = [], env: Record<string, string> = {}, projectDir?: string): Promise<TestWorker> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-worker-'));
  if (!projectDir) fs.mkdirSync((projectDir = path.join(root, 'project')));
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const worker = await spawnSidex(['worker', '--queue', queue, '--store', store, '--name', name, '--data-dir', path.join(root, 'data'), '--project', projectDir, '--log-level', 'warn', ...args], {
    cwd: root,
    env,
    ready: new RegExp(`sidex worker ${escaped}`),
    what: `sidex worker ${name}`,
  });
  return { ...worker, name, root };
}

export interface TestCluster {
  queue: string;
  store: string;
  servers: TestServer[];
  workers: TestWorker[];
  /** The project every server and worker runs with, when the cluster was given one. */
  projectDir?: string;
  addWorker(name: string, args?: string[]): Promise<TestWorker>;
  /** One more server on the same queue and store, with `args` of its own (stopped by close()). */
  addServer(args: string[]): Promise<TestServer>;
  close(): Promise<void>;
}

export interface ClusterOptions {
  queue: string;
  servers: number;
  workers: number;
  workerArgs?: string[];
  serverArgs?: string[];
  /**
   * Fills one project directory that every server and worker is given as its
   * `--project`: the shared volume of docs/cluster.md, so a block path a
   * server resolves is the one each worker runs. Without it each has an empty
   * project of its own.
   */
  project?: (projectDir: string) => void;
}

/** Servers and workers on one queue and one fresh schema; close() stops them all and drops the schema (and the shared project). */
export async function startCluster(options: ClusterOptions): Promise<TestCluster> {
  const schemas = new PgSchemas();
  const store = schemas.spec();
  let projectDir: string | undefined;
  if (options.project) {
    // Inside a temporary directory rather than one itself: mkdtemp's are 0700, which a sandbox's own uid may not enter.
    projectDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-cluster-')), 'project');
    fs.mkdirSync(projectDir);
    options.project(projectDir);
  }
  const common = ['--queue', options.queue, '--store', store];
  const workers: TestWorker[] = [];
  const servers: TestServer[] = [];
  const cluster: TestCluster = {
    queue: options.queue,
    store,
    servers,
    workers,
    ...(projectDir ? { projectDir } : {}),
    addWorker: async (name, args = options.workerArgs ?? []) => {
      const worker = await spawnWorker(options.queue, store, name, args, {}, projectDir);
      workers.push(worker);
      return worker;
    },
    addServer: async (args) => {
      const server = await spawnServer({ args: [...common, ...args], ...(projectDir ? { projectDir } : {}) });
      servers.push(server);
      return server;
    },
    close: async () => {
      await Promise.all(servers.map((s) => stopAndRemove(s)));
      await Promise.all(workers.map(async (w) => (await w.stop(), fs.rmSync(w.root, { recursive: true, force: true }))));
      await schemas.dropAll();
      if (projectDir) fs.rmSync(path.dirname(projectDir), { recursive: true, force: true });
    },
  };
  try {
    // The first server creates the schema; the others then start side by side.
    const serve = { args: [...common, ...(options.serverArgs ?? [])], ...(projectDir ? { projectDir } : {}) };
    servers.push(await spawnServer(serve));
    const rest = Array.from({ length: options.servers - 1 }, () => spawnServer(serve));
    servers.push(...(await Promise.all(rest)));
    await Promise.all(Array.from({ length: options.workers }, (_, i) => cluster.addWorker(`w${i + 1}`)));
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

export interface OwnRedis {
  url: string;
  /** SIGTERM (Redis writes its append-only file and exits, as a restart does), then the same server again. */
  restart(): Promise<void>;
  /** The first half of a restart: SIGTERM, and wait for the exit. */
  down(): Promise<void>;
  /** The second half: the same server again, listening. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A redis-server (Debian's `redis-server` on PATH) on a free loopback port, append-only, that the caller may restart; with `password`, its requirepass (in `url` too). */
export async function ownRedis(port: number, password?: string): Promise<OwnRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-redis-'));
  const start = async (): Promise<ChildProcess> => {
    const auth = password ? ['--requirepass', password] : [];
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', ...auth], { stdio: 'ignore' });
    live.add(child);
    child.on('exit', () => live.delete(child));
    const failed = new Promise<Error>((resolve) => child.once('error', resolve));
    for (const began = Date.now(); Date.now() - began < 10_000; ) {
      const up = await Promise.race([
        failed,
        new Promise<boolean>((resolve) => {
          const socket = net.connect(port, '127.0.0.1');
          socket.on('connect', () => (socket.destroy(), resolve(true))).on('error', () => resolve(false));
        }),
      ]);
      if (up instanceof Error) throw new Error(`cannot start redis-server: ${up.message}`);
      if (up) return child;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    throw new Error(`redis-server did not listen on ${port} within 10 s`);
  };
  let child = await start();
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  const down = () => stop('SIGTERM');
  const up = async () => {
    child = await start();
  };
  return {
    url: password ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    restart: async () => {
      await down();
      await up();
    },
    down,
    up,
    close: async () => {
      await stop('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs SQL on the cluster's schema (its tables unqualified). */
export async function clusterSql<T extends pg.QueryResultRow>(cluster: TestCluster, text: string, params: unknown[] = []): Promise<T[]> {
  const url = new URL(cluster.store);
  const schema = url.searchParams.get('schema')!;
  url.search = '';
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${schema}"`);
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}
