// The deployment docs/security.md recommends: `sidex serve` as a user other
// than root. Its sandboxes then rest on an unprivileged user namespace instead
// of a dedicated uid, and the server has no cgroup it may write. The attacks
// of sandbox-attacks.test.ts, run against such a server (uid 65534).
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SidexClient } from '@sidex/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataKeyOf, findMarked, markerMatcher } from '../dist/engine/tree/marker.js';
import {
  endOf,
  guardianOf,
  inotifyNextDoor,
  KEYRING_PROBE,
  KILL_MINUS_ONE,
  killAll,
  READ_EVERY_ENVIRON,
  runToEnd,
  serverSecrets,
  setsidTrees,
  SIGNAL_EVERY_PID,
  tokensAlive,
  treeTokens,
  withToken,
} from './helpers/attacks.js';
import { installed, itNeeds } from './helpers/machine-needs.js';
import { expectDataDirectoryOutOfReach, expectServerUnharmed } from './helpers/sandbox-checks.js';
import { spawnServer, stopAndRemove, type TestServer, type User } from './helpers/spawn-server.js';
import { eventually, sleep } from './helpers/sidex.js';

const NOBODY: User = { uid: 65534, gid: 65534 };
const { secret: SECRET, env: secrets } = serverSecrets();
const TOKEN = `sidex-non-root-${randomUUID()}`;
afterAll(() => killAll(withToken(TOKEN)));

/** Why this machine cannot run the suite: it needs root to switch users, and unprivileged user namespaces for bwrap. */
function unavailable(): string | undefined {
  // Not root: every other suite already runs its servers as a user other than root.
  if (process.getuid?.() !== 0) return 'switching to another user needs root, and this run is not root, so the other suites cover it';
  const bwrap = ['setpriv', `--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', 'bwrap', '--unshare-user', '--unshare-pid', '--ro-bind', '/', '/', '--proc', '/proc', 'true'];
  const probe = spawnSync(bwrap[0]!, bwrap.slice(1), { timeout: 10_000, encoding: 'utf8' });
  // Such a server would fall back to process isolation, which keeps none of these promises (security.md).
  if (probe.status !== 0) return `unprivileged user namespaces are not available to uid ${NOBODY.uid} here (${probe.stderr.trim() || probe.error?.message})`;
  return undefined;
}

const why = unavailable();
if (why) {
  console.warn(`\n*** SKIPPING the non-root server suite: ${why}\n`);
  describe.skip(`sidex serve as a user other than root (${why})`, () => {
    it('needs root and user namespaces', () => {});
  });
} else {
  describe('sidex serve as a user other than root (uid 65534)', () => {
    let server: TestServer;
    let client: SidexClient;
    beforeAll(async () => {
      server = await spawnServer({ env: secrets, apiKey: false, user: NOBODY });
      client = new SidexClient({ url: server.url, apiKey: secrets.SIDEX_API_KEY });
    });
    afterAll(async () => {
      client?.close();
      if (server) await stopAndRemove(server);
    });

    const run = (code: string, params: Record<string, unknown> = {}) => runToEnd(client, code, params);

    const runCommand = async (...argv: string[]) => endOf(client, await client.sideExecution.startWithCommand(argv));

    it('runs as that user, its executions in sandboxes, and warns that no limit is the kernel\'s', async () => {
      expect(fs.statSync(`/proc/${server.child.pid}`).uid).toBe(NOBODY.uid);
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
      expect(health.isolation).toEqual({ mode: 'sandbox' });
      // No cgroup here is its user's to write: it says so as it starts.
      expect(server.stdout() + server.stderr()).toContain('no cgroup this server may write: memory limits are sampled and nothing limits processes');
    });

    it('the code has no capability and no_new_privs, in a PID namespace of its own; /tmp and /dev/shm are its own and writable, its root is not', async () => {
      const done = await runCommand(
        'sh',
        '-c',
        'grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status; f=$(mktemp) && echo "tmp $f"; g=/dev/shm/sidex-$$ && : > "$g" && echo "shm $g"; echo "pid1 $(cat /proc/1/comm)"; touch /sidex-$$ 2>/dev/null || echo "root read-only"',
      );
      expect(done.error ?? '').toBe('');
      expect(done.status).toBe('completed');
      const lines = Object.fromEntries(done.output.trim().split('\n').map((line) => line.split(/:?\s+/) as [string, string]));
      expect(lines).toMatchObject({ CapEff: '0000000000000000', CapBnd: '0000000000000000', NoNewPrivs: '1', pid1: 'bwrap', root: 'read-only' });
      for (const file of [lines.tmp!, lines.shm!]) expect(fs.existsSync(file), file).toBe(false);
    });

    itNeeds('python3', installed('python3'))('the kernel keyring calls are refused here too', async () => {
      const name = `sidex-${randomUUID()}`;
      expect((await runCommand('/usr/bin/python3', '-c', KEYRING_PROBE, 'put', name)).output).toBe('refused EPERM\n');
      expect((await runCommand('/usr/bin/python3', '-c', KEYRING_PROBE, 'take', name)).output).toBe('refused EPERM\n');
    });

    // What security.md says this deployment does not separate: each sandbox's user namespace belongs to
    // the server's uid, and the kernel charges what is made inside to that uid too.
    itNeeds('python3', installed('python3'))('the counts the kernel keeps per uid are shared: one execution holding every inotify instance leaves the next none', async () => {
      const { held, next } = await inotifyNextDoor(client);
      expect(held).toMatch(/held \d+, then refused EMFILE/);
      expect(next).toBe('refused EMFILE');
    });

    it('no /proc/*/environ or cmdline it can read holds a server secret', async () => {
      const done = await run(READ_EVERY_ENVIRON, { secret: SECRET });
      expect(done.status).toBe('completed');
      expect(done.result).toMatchObject({ found: [], envHasSecret: false });
    });

    it('signals reach neither the server nor its guardian; kill -1 and kill 0 end only the attacker', async () => {
      const serverPid = server.child.pid!;
      const guardian = guardianOf(serverPid);
      expect(guardian).toBeDefined();
      const tried = (await run(SIGNAL_EVERY_PID, { serverPid, guardianPid: guardian })).result as Record<string, string>;
      for (const target of [serverPid, guardian]) for (const signal of ['SIGSTOP', 'SIGKILL']) expect(tried[`${target} ${signal}`]).toBe('ESRCH');
      const killed = await run(KILL_MINUS_ONE);
      expect(killed.status).toBe('failed');
      await expectServerUnharmed(server, client, guardian!);
    });

    it('the data directory: the key file, the database, another execution\'s scratch and log are not there; nothing changes', async () => {
      await expectDataDirectoryOutOfReach(server, client, secrets.SIDEX_API_KEY);
    });

    it("network 'none' and an allowlist: the host's loopback is out of reach, but for a listed host through the proxy", async () => {
      const listed = http.createServer((_req, res) => res.end('reached'));
      const other = http.createServer((_req, res) => res.end('other'));
      const portOf = async (server: http.Server) => {
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        return (server.address() as AddressInfo).port;
      };
      try {
        const [port, otherPort] = [await portOf(listed), await portOf(other)];
        const urls = { listed: `http://127.0.0.1:${port}/`, other: `http://127.0.0.1:${otherPort}/` };
        const dialAll = `const out = {};
          for (const [name, url] of Object.entries(urls)) {
            try { out[name] = await (await fetch(url)).text(); } catch (e) { out[name] = 'failed'; }
          }
          return out;`;
        expect((await runToEnd(client, dialAll, { urls }, { network: 'none' })).result).toEqual({ listed: 'failed', other: 'failed' });
        expect((await runToEnd(client, dialAll, { urls }, { network: { allow: [`127.0.0.1:${port}`] } })).result).toEqual({ listed: 'reached', other: 'failed' });
        expect((await runToEnd(client, dialAll, { urls })).result).toEqual({ listed: 'reached', other: 'other' });
      } finally {
        listed.close();
        other.close();
      }
    });

    // Here the server is the owner of what the code makes, not root: a directory locked to mode 000 keeps even its owner out.
    it('a scratch directory the code locked (mode 000 directories, a tree past PATH_MAX) is removed when the execution ends', async () => {
      const done = await run(`const fs = require('node:fs'); const base = process.cwd();
        fs.mkdirSync('locked/inner', { recursive: true }); fs.writeFileSync('locked/inner/f', 'x'); fs.chmodSync('locked/inner', 0); fs.chmodSync('locked', 0);
        for (let i = 0; i < 3000; i++) { fs.mkdirSync('d'.repeat(200)); process.chdir('d'.repeat(200)); }
        process.chdir(base); return base;`);
      expect(done.status).toBe('completed');
      const scratch = String(done.result);
      expect(scratch.startsWith(server.dataDir)).toBe(true);
      expect(await eventually(() => !fs.existsSync(scratch), 10_000, 50)).toBe(true);
    });

    it('a stop leaves nothing: setsid grandchildren trapping SIGTERM included', async () => {
      const [tree] = treeTokens(`${TOKEN}-stop`, 1);
      const started = await client.sideExecution.startWithCode(setsidTrees(tree!)[1]);
      if (!started.success) throw new Error(started.error);
      expect(await eventually(() => tokensAlive([tree!]) === 1, 15_000)).toBe(true);
      const stopped = await client.sideExecution.stop(started.sideExecutionId, { graceMs: 200 });
      expect(stopped.success).toBe(true);
      expect(withToken(tree!)).toEqual([]);
    });

    it('SIGKILLed with its guardian while trees run (setsid grandchildren trapping SIGTERM): nothing of its user is alive 2 s later', async () => {
      const doomed = await spawnServer({ env: { ...secrets, SIDEX_POOL_SIZE: '2' }, apiKey: false, user: NOBODY });
      const doomedClient = new SidexClient({ url: doomed.url, apiKey: secrets.SIDEX_API_KEY });
      try {
        const trees = treeTokens(`${TOKEN}-kill`, 6);
        for (const [i, tree] of trees.entries()) {
          const started = await doomedClient.sideExecution.startWithCode(setsidTrees(tree)[i % 2]!);
          if (!started.success) throw new Error(started.error);
        }
        expect(await eventually(() => tokensAlive(trees) === trees.length, 30_000, 100)).toBe(true);
        // Runtimes by the marker in their environment, grandchildren by their token: both found before the kill.
        const marked = () => findMarked(markerMatcher(`${dataKeyOf(doomed.dataDir)}.`, 'prefix'));
        expect(marked().length).toBeGreaterThanOrEqual(trees.length);
        const guardian = guardianOf(doomed.child.pid!);
        expect(guardian).toBeDefined();
        process.kill(doomed.child.pid!, 'SIGSTOP');
        process.kill(guardian!, 'SIGKILL');
        doomed.child.kill('SIGKILL');
        await doomed.exited;
        await sleep(2000);
        const runtimes = marked();
        const left = withToken(`${TOKEN}-kill`);
        killAll([...runtimes, ...left]);
        expect(runtimes).toEqual([]);
        expect(left).toEqual([]);
      } finally {
        doomedClient.close();
        await stopAndRemove(doomed);
      }
    });
  });
}
