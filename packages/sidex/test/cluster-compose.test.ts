// docs/cluster/docker-compose.yml as written, run without Docker (these
// machines have none): each sidex service's own command and environment,
// with the containers' names and paths mapped to this machine's (the test's
// Redis and PostgreSQL, temporary directories, loopback), started as real
// `sidex` processes. A flag or variable the file names that the CLI does not
// know, or a role that does not come up from it, fails here. What it does not
// check: that the image builds and that containers reach each other.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PgSchemas } from './fixtures/pg-schemas.js';
import { clusterMissing, redisDb } from './helpers/cluster.js';
import { startOn, statusOn } from './helpers/cluster-api.js';
import { serversFor } from './helpers/machine-needs.js';
import { eventually } from './helpers/sidex.js';
import { spawnSidex, type SidexProcess, type TestServer } from './helpers/spawn-server.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const COMPOSE_DIR = path.join(REPO, 'docs/cluster');

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  build?: { context: string; dockerfile: string };
}

const compose = parse(fs.readFileSync(path.join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const sidexServices = Object.entries(compose.services).filter(([, s]) => s.command?.[0] === 'serve' || s.command?.[0] === 'worker');

/** The file's flags with the container's listen address, ports and data directory made this machine's. */
function localArgs(command: string[], dataDir: string): string[] {
  return command.map((arg, i) => {
    const flag = command[i - 1];
    if (flag === '--host' || flag === '--advertise-host') return '127.0.0.1'; // tests listen on loopback only
    if (flag === '--port') return '0';
    if (flag === '--data-dir') return dataDir;
    return arg;
  });
}

/** The file's environment with each container name or path it holds mapped; one the test does not know fails it. */
function localEnv(environment: Record<string, string>, places: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      if (value in places) return [name, places[value]!];
      if (value.startsWith('/') || value.includes('://')) throw new Error(`${name}=${value}: a place the compose test does not map; add it`);
      return [name, value];
    }),
  );
}

if (serversFor('docker-compose topology', clusterMissing())) {
  describe('docs/cluster/docker-compose.yml, run as real processes', () => {
    const schemas = new PgSchemas();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-compose-'));
    const running = new Map<string, SidexProcess & { url?: string }>();
    let apiKey = '';
    const server = (name: string): TestServer => ({ url: running.get(name)!.url!, apiKey }) as TestServer;

    beforeAll(async () => {
      const places: Record<string, string> = {
        'redis://:change-me-redis-password@redis:6379': await redisDb(7),
        'postgres://sidex:sidex@postgres:5432/sidex': schemas.spec(),
        '/project': path.join(root, 'project'),
        '/file-store': path.join(root, 'file-store'),
      };
      for (const dir of ['project', 'file-store']) fs.mkdirSync(path.join(root, dir));
      // Servers first (the first creates the schema), then the workers.
      for (const role of ['serve', 'worker']) {
        for (const [name, service] of sidexServices.filter(([, s]) => s.command![0] === role)) {
          const env = localEnv(service.environment ?? {}, places);
          apiKey = env.SIDEX_API_KEY ?? '';
          const args = localArgs(service.command!, path.join(root, name, 'data'));
          const proc = await spawnSidex(args, {
            cwd: root,
            env,
            ready: role === 'serve' ? /^sidex (http:\/\/\S+)/m : /^sidex worker /m,
            what: `compose service ${name}`,
          });
          running.set(name, { ...proc, ...(role === 'serve' ? { url: proc.ready[1]! } : {}) });
        }
      }
    }, 120_000);

    afterAll(async () => {
      await Promise.all([...running.values()].map((p) => p.stop()));
      await schemas.dropAll();
      fs.rmSync(root, { recursive: true, force: true });
    }, 60_000);

    it('describes 2 servers and 3 workers on one Redis and one PostgreSQL, sharing the project and the file store', () => {
      const roles = sidexServices.map(([, s]) => s.command![0]);
      expect(roles.filter((r) => r === 'serve')).toHaveLength(2);
      expect(roles.filter((r) => r === 'worker')).toHaveLength(3);
      expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['redis', 'postgres']));
      for (const [name, service] of sidexServices) {
        expect(service.volumes, name).toEqual(expect.arrayContaining(['./project:/project:ro', 'file-store:/file-store']));
        expect(service.environment, name).toMatchObject({ SIDEX_PROJECT: '/project', SIDEX_FILE_STORE: '/file-store' });
      }
    });

    it('builds its image from a Dockerfile whose build script and entry point are the repository’s', () => {
      const { build } = sidexServices[0]![1];
      const dockerfile = fs.readFileSync(path.join(COMPOSE_DIR, build!.context, build!.dockerfile), 'utf8');
      const scripts = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts as Record<string, string>;
      for (const [, script] of dockerfile.matchAll(/npm run (\S+)/g)) expect(scripts, `npm run ${script}`).toHaveProperty(script!);
      const entry = /ENTRYPOINT \["node", "\/opt\/sidex\/([^"]+)"\]/.exec(dockerfile)?.[1];
      expect(entry && fs.existsSync(path.join(REPO, entry)), `ENTRYPOINT ${entry}`).toBe(true);
    });

    it('every sidex service comes up from its own command and environment', () => {
      expect([...running.keys()].sort()).toEqual(sidexServices.map(([name]) => name).sort());
      for (const [name, proc] of running) expect(proc.child.exitCode, name).toBeNull();
    });

    it('a start through server-1, with the file’s API key, runs on one of its workers and is read through server-2', async () => {
      const started = await startOn(server('server-1'), { inlineCode: 'return 6 * 7' });
      expect(started.success, JSON.stringify(started)).toBe(true);
      const id = started.sideExecutionId as string;
      expect(await eventually(async () => (await statusOn(server('server-2'), id)).status === 'completed', 15_000)).toBe(true);
      const done = await statusOn(server('server-2'), id);
      expect(done.result).toBe(42);
      expect(['worker-1', 'worker-2', 'worker-3']).toContain(done.worker);
    });

    it('a start requiring the tag `big` runs on worker-3, the one the file gives that tag', async () => {
      const started = await startOn(server('server-2'), { inlineCode: 'return "big"', options: { tags: ['big'] } });
      expect(started.success, JSON.stringify(started)).toBe(true);
      const id = started.sideExecutionId as string;
      expect(await eventually(async () => (await statusOn(server('server-1'), id)).status === 'completed', 15_000)).toBe(true);
      expect(await statusOn(server('server-1'), id)).toMatchObject({ result: 'big', worker: 'worker-3' });
    });
  });
}
