// Hostile code against a real `sidex serve`, run from inside executions, as an
// attacker would. Each attack must fail in the default (sandbox) isolation.
// Where `process` isolation cannot keep a promise, its test asserts what it
// does instead, so that docs/security.md's table of what each mode guarantees
// stays true.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { SidexClient, type StartOptions } from '@sidex/client';
import { afterAll, describe, expect, it } from 'vitest';
import { dataKeyOf, findMarked, markerMatcher } from '../dist/engine/tree/marker.js';
import {
  DATA_DIR_ATTACK,
  endOf,
  dataTargets,
  DIAL,
  escapee,
  guardianOf,
  inotifyNextDoor,
  KEYRING_PROBE,
  WRITE_CHANNEL_LINE,
  KILL_MINUS_ONE,
  killAll,
  READ_EVERY_ENVIRON,
  runToEnd,
  serverSecrets,
  setsidTrees,
  SIGNAL_EVERY_PID,
  startVictim,
  tokensAlive,
  treeTokens,
  withToken,
} from './helpers/attacks.js';
import { cgroupsOf } from './helpers/cgroups.js';
import { writeBlock } from './helpers/write-block.js';
import { expectDataDirectoryOutOfReach, expectServerUnharmed } from './helpers/sandbox-checks.js';
import { installed, itNeeds } from './helpers/machine-needs.js';
import { runCli, spawnServer, startTestServer, stopAndRemove, type TestServer } from './helpers/server.js';
import { eventually, pidAlive, sleep } from './helpers/sidex.js';

const { secret: SECRET, env: secrets } = serverSecrets();
/** Every escapee of this file carries this in its command line: whatever a failed test left is killed at the end. */
const ESCAPEES = `sidex-escapee-${randomUUID()}`;
afterAll(() => killAll(withToken(ESCAPEES)));

// RocketRide's file store outside the data directory, in a directory sandboxes see read-only (Node's module path).
const fileStore = fs.mkdtempSync(path.join(process.cwd(), 'node_modules', '.sidex-file-store-'));
fs.chmodSync(fileStore, 0o755); // readable by the sandbox's uid, were it visible
afterAll(() => fs.rmSync(fileStore, { recursive: true, force: true }));
/** Both servers inherit a socket there, as a parent's pipe would be passed on. */
const STRAY_FD = 63;
const sandboxed = await startTestServer({ env: secrets, apiKey: false, args: ['--file-store', fileStore], inheritedFd: STRAY_FD });
const unsandboxed = await startTestServer({ env: secrets, apiKey: false, args: ['--isolation', 'process'], inheritedFd: STRAY_FD });
const clientOf = (server: TestServer) => new SidexClient({ url: server.url, apiKey: secrets.SIDEX_API_KEY });
const clients = new Map<TestServer, SidexClient>([
  [sandboxed, clientOf(sandboxed)],
  [unsandboxed, clientOf(unsandboxed)],
]);
afterAll(() => clients.forEach((c) => c.close()));

const run = (server: TestServer, code: string, params: Record<string, unknown> = {}, options: StartOptions = {}, timeout?: number) =>
  runToEnd(clients.get(server)!, code, params, options, timeout);

describe('secrets: the server environment', () => {
  it('sandbox: no /proc/*/environ or cmdline it can read holds a server secret, nor does its own environment', async () => {
    const done = await run(sandboxed, READ_EVERY_ENVIRON, { secret: SECRET });
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ found: [], envHasSecret: false });
  });

  it('process isolation: its own environment is clean, but the server is an ordinary process of the same user: /proc/<ppid>/environ gives its secrets away', async () => {
    const done = await run(unsandboxed, READ_EVERY_ENVIRON, { secret: SECRET });
    expect(done.result).toMatchObject({ envHasSecret: false });
    expect((done.result as { found: string[] }).found.length).toBeGreaterThan(0);
  });
});

describe('signals: the server and its guardian', () => {
  it('sandbox: SIGKILL and SIGSTOP at the server, the guardian, its parent and every pid it sees reach nothing outside', async () => {
    const serverPid = sandboxed.child.pid!;
    const guardian = guardianOf(serverPid);
    expect(guardian).toBeDefined();
    const done = await run(sandboxed, SIGNAL_EVERY_PID, { serverPid, guardianPid: guardian });
    // bwrap's init (pid 1 inside, its parent) refuses; the host's pids do not exist in its namespace.
    expect(done.result).toEqual({
      '1 SIGSTOP': 'EPERM',
      '1 SIGKILL': 'EPERM',
      [`${serverPid} SIGSTOP`]: 'ESRCH',
      [`${serverPid} SIGKILL`]: 'ESRCH',
      [`${guardian} SIGSTOP`]: 'ESRCH',
      [`${guardian} SIGKILL`]: 'ESRCH',
    });
    await expectServerUnharmed(sandboxed, clients.get(sandboxed)!, guardian!);
  });

  it('sandbox: kill(-1) and kill(0), SIGSTOP then SIGKILL, end only the attacker itself', async () => {
    const guardian = guardianOf(sandboxed.child.pid!)!;
    const done = await run(sandboxed, KILL_MINUS_ONE);
    expect(done.status).toBe('failed');
    expect(done.signal).toBe('SIGKILL');
    await expectServerUnharmed(sandboxed, clients.get(sandboxed)!, guardian);
  });

  it('process isolation: the server is visible as its parent (the promise needs the sandbox; /healthz says so)', async () => {
    const done = await run(unsandboxed, 'return process.ppid');
    expect(done.result).toBe(unsandboxed.child.pid);
    const health = (await (await fetch(`${unsandboxed.url}/healthz`)).json()) as Record<string, any>;
    expect(health.isolation).toEqual({ mode: 'process', reason: expect.stringContaining('--isolation process') });
  });
});

describe('the data directory: key file, database, other executions', () => {
  const victim = (server: TestServer) => startVictim(clients.get(server)!);
  const targetsOf = (server: TestServer, other: { id: string; scratch: string }) => dataTargets(server.dataDir, other);

  it('sandbox: none of them exists inside; nothing on disk changes', async () => {
    await expectDataDirectoryOutOfReach(sandboxed, clients.get(sandboxed)!, secrets.SIDEX_API_KEY);
  });

  it('sandbox: the file store (--file-store, outside the data directory) is not there either; process isolation reads it', async () => {
    const account = path.join(fileStore, 'account.txt');
    fs.writeFileSync(account, 'the account file', { mode: 0o644 });
    const attack = (server: TestServer) => run(server, DATA_DIR_ATTACK, { targets: { account }, dataDir: fileStore, mark: ['pw', 'ned'] });
    const inside = (await attack(sandboxed)).result as Record<string, unknown>;
    expect(inside['read account']).toMatch(/^(ENOENT|EACCES)$/);
    expect(inside['write account']).toMatch(/^(ENOENT|EACCES|EROFS)$/);
    expect(fs.readFileSync(account, 'utf8')).toBe('the account file');
    // The same path from an unsandboxed execution: the attack aims at something there.
    expect(((await attack(unsandboxed)).result as Record<string, unknown>)['read account']).toBe('read');
    fs.writeFileSync(account, 'the account file');
  });

  it('process isolation: without --permissions the key file is readable (the promise needs the sandbox)', async () => {
    fs.writeFileSync(path.join(unsandboxed.dataDir, 'api-key'), `${secrets.SIDEX_API_KEY}\n`, { mode: 0o600 });
    const other = await victim(unsandboxed);
    const targets = { keyFile: targetsOf(unsandboxed, other).keyFile };
    const result = (await run(unsandboxed, `try { return require('node:fs').readFileSync(file, 'utf8').length > 0 } catch (e) { return e.code }`, { file: targets.keyFile })).result;
    await clients.get(unsandboxed)!.sideExecution.stop(other.id, { force: true });
    expect(result).toBe(true);
  });
});

/** The attacks whose promise holds in both isolation modes run in each. */
const BOTH_MODES: Array<[string, TestServer]> = [
  ['sandbox', sandboxed],
  ['process isolation', unsandboxed],
];

describe("the channel to the server: what the code writes to the runtime's own socket", () => {
  const CHANNEL = 'const fs = require("node:fs"); const fd = process.channel.fd;';
  /** The server's peak resident memory so far (VmHWM), in bytes. */
  const peakRss = (server: TestServer) => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.child.pid}/status`, 'latin1'))![1]) * 1024;
  const stillServes = async (server: TestServer) => {
    expect(pidAlive(server.child.pid!)).toBe(true);
    expect((await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>).toMatchObject({ status: 'ok' });
    expect((await run(server, 'return 6 * 7')).result).toBe(42);
  };

  it.each(BOTH_MODES)('%s: lines that are not JSON (a parse error in Node\'s own reader, uncaught, ended the server) are dropped; the code ends with its own result', async (_mode, server) => {
    const done = await run(server, `${CHANNEL}
      for (const line of ['not json', '{"type":', '[1, 2', '\\u0000', '{"cmd":"NODE_HANDLE","type":"net.Socket","msg":{}}', '']) fs.writeSync(fd, line + '\\n');
      await new Promise((r) => setTimeout(r, 200));
      return 'own result';`);
    expect([done.status, done.result]).toEqual(['completed', 'own result']);
    await stillServes(server);
  });

  it.each(BOTH_MODES)("%s: a listening socket sent over the channel (Node's handle passing) never reaches the server", async (_mode, server) => {
    // Node's own way to pass a descriptor: process.send with a handle. Its runtime then waits for an acknowledgement that never
    // comes, so its own end is never reported: the timeout ends it.
    const client = clients.get(server)!;
    const done = await runToEnd(
      client,
      `const server = require('node:net').createServer(); await new Promise((r) => server.listen(0, '127.0.0.1', r));
       console.log('port ' + server.address().port); process.send({ type: 'message', json: '1' }, server); await new Promise(() => {});`,
      {}, {}, 3000);
    expect(done.status).toBe('timeout');
    const port = Number(/port (\d+)/.exec(done.output ?? '')![1]);
    // Nobody holds the socket any more: had the server taken it, the kernel would accept this connection on its behalf.
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve('connected')));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    await stillServes(server);
  });

  it.each(BOTH_MODES)('%s: values nested 200,000 levels deep (serializing one for an events subscriber overflowed the stack and ended the server) are dropped; a line that deep fails it VALUE_TOO_DEEP', async (_mode, server) => {
    const events = new AbortController();
    const stream = await fetch(`${server.url}/v1/events`, { headers: { authorization: `Bearer ${secrets.SIDEX_API_KEY}` }, signal: events.signal });
    expect(stream.status).toBe(200);
    try {
      const deep = `'['.repeat(200000) + ']'.repeat(200000)`;
      const dropped = await run(server, `process.send({ type: 'checkpoint', json: ${deep} }); process.send({ type: 'progress', json: ${deep} });
        await new Promise((r) => setTimeout(r, 200)); return 'own result';`);
      expect([dropped.status, dropped.result, dropped.checkpoint]).toEqual(['completed', 'own result', undefined]);
      const line = await run(server, `${WRITE_CHANNEL_LINE} await writeChannelLine('{"type":"progress","json":"1","x":' + ${deep} + '}');
        await new Promise((r) => setTimeout(r, 5000)); return 'not reached';`);
      expect([line.status, line.failure?.code]).toEqual(['failed', 'VALUE_TOO_DEEP']);
      // The runtime refuses such a value itself, before it reaches the channel.
      const own = await run(server, `const deep = []; let at = deep; for (let i = 0; i < 1500; i++) { const next = []; at.push(next); at = next; } return deep;`);
      expect([own.status, own.failure?.code]).toEqual(['failed', 'RESULT_NOT_SERIALIZABLE']);
      expect(own.failure?.message).toContain('nests deeper than 1000 levels');
      expect((await fetch(`${server.url}/v1/executions`, { headers: { authorization: `Bearer ${secrets.SIDEX_API_KEY}` } })).status).toBe(200);
    } finally {
      events.abort();
    }
    await stillServes(server);
  }, 60_000);

  it.each(BOTH_MODES)('%s: an outcome written to the channel while the code runs on (it escaped its timeout, every stop and a shutdown) decides its status, but a timeout or a stop still ends its tree', async (_mode, server) => {
    const client = clients.get(server)!;
    const FORGE = `process.send({ type: 'result', json: '"forged"', cpuMicros: 0 }); setInterval(() => console.log('alive'), 50); await new Promise(() => {});`;
    let began = Date.now();
    const timedOut = await runToEnd(client, FORGE, {}, {}, 1000);
    expect([timedOut.status, timedOut.result]).toEqual(['completed', 'forged']);
    expect(Date.now() - began).toBeLessThan(4000);
    const started = await client.sideExecution.startWithCode(FORGE);
    if (!started.success) throw new Error(started.error);
    await sleep(300);
    began = Date.now();
    const stopped = await client.sideExecution.stop(started.sideExecutionId, { graceMs: 500 });
    // Its status was decided by the report: a stop of a completed execution answers that it had finished.
    expect(stopped.success ? stopped.status : stopped.error).toContain('already finished with status "completed"');
    expect(Date.now() - began).toBeLessThan(3000);
    await stillServes(server);
  }, 30_000);

  it('a block that writes an outcome to the channel as it loads, before it is started, and runs on: its start is answered, and its tree ends a grace period later', async () => {
    const server = await spawnServer({
      env: secrets,
      apiKey: false,
      project: (dir) => writeBlock(dir, 'forger', `process.send({ type: 'result', json: '"forged as it loaded"', cpuMicros: 0 });\nsetInterval(() => {}, 50);\nexport default () => new Promise(() => {});\n`),
    });
    const client = clientOf(server);
    try {
      const began = Date.now();
      const started = await client.sideExecution.startWithActionBlock(path.join(server.projectDir, '.codebolt', 'actionblocks', 'forger'), {}, undefined, { graceMs: 500 });
      expect(Date.now() - began).toBeLessThan(5000);
      if (!started.success) throw new Error(started.error);
      const done = await client.wait(started.sideExecutionId);
      expect(done.success ? [done.data.status, done.data.result] : done.error).toEqual(['completed', 'forged as it loaded']);
      expect(Date.now() - began).toBeLessThan(5000);
    } finally {
      client.close();
      await stopAndRemove(server);
    }
  }, 30_000);

  it.each(BOTH_MODES)("%s: an exit listener that never returns holds its tree at most a grace period past the code's end", async (_mode, server) => {
    const began = Date.now();
    const done = await run(server, `process.on('exit', () => { for (;;) {} }); return 'done';`, {}, { graceMs: 1000 });
    expect([done.status, done.result]).toEqual(['completed', 'done']);
    expect(Date.now() - began).toBeLessThan(6000);
  }, 30_000);

  it.each(BOTH_MODES)('%s: an error of 25 MB is kept to its first 64 K characters, so that its record and the list stay readable', async (_mode, server) => {
    const done = await run(server, `throw new Error('x'.repeat(25e6))`);
    expect(done.status).toBe('failed');
    expect(done.failure?.message.length).toBeGreaterThan(60_000);
    expect(done.failure?.message.length).toBeLessThan(70_000);
    expect(done.failure?.message).toMatch(/more characters not kept\]$/);
    expect((await fetch(`${server.url}/v1/executions`, { headers: { authorization: `Bearer ${secrets.SIDEX_API_KEY}` } })).status).toBe(200);
  }, 60_000);

  it.each(BOTH_MODES)('%s: writing without end and without a line break fails it VALUE_TOO_LARGE; the server holds at most the 64 MB bound of it', async (_mode, server) => {
    const before = peakRss(server);
    // The socket is non-blocking: a full one answers EAGAIN, and the writer waits for the server to read.
    const done = await run(server, `${CHANNEL} const chunk = Buffer.alloc(1024 * 1024, 120);
      for (;;) try { fs.writeSync(fd, chunk); } catch (e) { if (e.code !== 'EAGAIN') throw e; await new Promise((r) => setTimeout(r, 1)); }`);
    expect([done.status, done.failure?.code]).toEqual(['failed', 'VALUE_TOO_LARGE']);
    expect(done.failure?.message).toContain('without an end of line');
    expect(peakRss(server) - before).toBeLessThan(200 * 1024 * 1024);
    await stillServes(server);
  }, 60_000);
});

describe("a descriptor the server inherited: its parent's pipe", () => {
  // Whether the descriptor is open, and whether a write to it gets through.
  const PROBE = `const fs = require('node:fs'); let open = true; try { fs.fstatSync(${STRAY_FD}); } catch { open = false; }
    let wrote = false; try { fs.writeSync(${STRAY_FD}, 'leaked\\n'); wrote = true; } catch {}`;

  it.each(BOTH_MODES)('%s: neither the code nor a program it runs has it; nothing reaches the parent', async (_mode, server) => {
    const heard: Buffer[] = [];
    (server.child.stdio as unknown as net.Socket[])[STRAY_FD]!.on('data', (d: Buffer) => heard.push(d));
    const inline = await run(server, `${PROBE} return { open, wrote };`);
    expect(inline.result).toEqual({ open: false, wrote: false });
    const client = clients.get(server)!;
    const done = await endOf(client, await client.sideExecution.startWithCommand([process.execPath, '-e', `${PROBE} console.log(JSON.stringify({ open, wrote }))`]));
    expect([done.status, JSON.parse(done.output ?? '')]).toEqual(['completed', { open: false, wrote: false }]);
    await sleep(100);
    expect(Buffer.concat(heard).toString()).toBe('');
  });

  // bwrap reads the filter from a descriptor the server opened in its data directory, where stdout and stderr are its only files.
  it('sandbox: nor the seccomp filter bwrap was given: past stdout and stderr, no descriptor of the code is a server file', async () => {
    const done = await run(sandboxed, `const fs = require('node:fs');
      return fs.readdirSync('/proc/self/fd').flatMap((fd) => { try { return [[Number(fd), fs.readlinkSync('/proc/self/fd/' + fd)]]; } catch { return []; } });`);
    const links = done.result as [number, string][];
    expect(links.filter(([fd]) => fd <= 2).map(([, link]) => link.startsWith(sandboxed.dataDir))).toEqual([false, true, true]);
    expect(links.filter(([fd, link]) => fd > 2 && (link.includes(sandboxed.dataDir) || link.includes('syscall-filter')))).toEqual([]);
  });
});

describe('the machine out of memory: executions go before the server', () => {
  it.each(BOTH_MODES)('%s: the code and what it starts score 1000 for the kernel\'s OOM killer; the server keeps its own', async (_mode, server) => {
    const done = await run(server, `const fs = require('node:fs');
      const own = fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
      const child = require('node:child_process').execFileSync('sh', ['-c', 'cat /proc/self/oom_score_adj'], { encoding: 'utf8' }).trim();
      return { own, child };`);
    expect(done.result).toEqual({ own: '1000', child: '1000' });
    expect(fs.readFileSync(`/proc/${server.child.pid}/oom_score_adj`, 'utf8').trim()).toBe('0');
  });
});

describe('escape: env -i, setsid, and every cgroup.procs it can find', () => {
  it.each([
    ['stop', async (client: SidexClient, id: string): Promise<void> => void (await client.sideExecution.stop(id, { graceMs: 200 }))],
    ['timeout', async (client: SidexClient, id: string): Promise<void> => void (await client.wait(id))],
  ] as const)('sandbox: nothing survives a %s (5 tries)', async (_how, end) => {
    const client = clients.get(sandboxed)!;
    for (let i = 0; i < 5; i++) {
      const token = `${ESCAPEES}-${randomUUID()}`;
      const started = await client.sideExecution.startWithCode(escapee(token), {}, _how === 'timeout' ? 1500 : undefined);
      if (!started.success) throw new Error(started.error);
      expect(await eventually(() => withToken(token).length > 0, 10_000)).toBe(true);
      await end(client, started.sideExecutionId);
      const left = withToken(token);
      killAll(left);
      expect(left, `try ${i}`).toEqual([]);
    }
  });

  it('sandbox: nothing survives the server shutting down', async () => {
    const server = await spawnServer({ env: secrets, apiKey: false });
    const client = clientOf(server);
    const token = `${ESCAPEES}-${randomUUID()}`;
    try {
      const started = await client.sideExecution.startWithCode(escapee(token));
      if (!started.success) throw new Error(started.error);
      expect(await eventually(() => withToken(token).length > 0, 10_000)).toBe(true);
    } finally {
      client.close();
      await stopAndRemove(server);
    }
    const left = withToken(token);
    killAll(left);
    expect(left).toEqual([]);
  });

  it('process isolation: a root server cannot keep it (it moves itself out of the cgroup and loses the marker); the promise needs the sandbox', async () => {
    const client = clients.get(unsandboxed)!;
    const token = `${ESCAPEES}-${randomUUID()}`;
    const started = await client.sideExecution.startWithCode(escapee(token));
    if (!started.success) throw new Error(started.error);
    // Moving between cgroups takes the kernel ~20 ms a hierarchy: it has escaped once the last move is done.
    const inRoot = (pid: number) => {
      try {
        return /^0::\/$/m.test(fs.readFileSync(`/proc/${pid}/cgroup`, 'latin1'));
      } catch {
        return false; // a short-lived process of its shell
      }
    };
    const moved = () => withToken(token).some(inRoot);
    if (process.getuid?.() === 0) expect(await eventually(moved, 10_000)).toBe(true);
    await client.sideExecution.stop(started.sideExecutionId, { graceMs: 200 });
    const left = withToken(token);
    killAll(left);
    // Escaped when the server runs as root (it can write every cgroup.procs); not otherwise.
    if (process.getuid?.() === 0) expect(left.length).toBeGreaterThan(0);
  });
});

describe('a scratch directory deeper than a path may be long', () => {
  // 3,000 directories of 200 characters: fs.rm names each entry by its whole path, and failed (ENAMETOOLONG).
  const DEEP_TREE = `const fs = require('node:fs'); const base = process.cwd();
    for (let i = 0; i < 3000; i++) { fs.mkdirSync('d'.repeat(200)); process.chdir('d'.repeat(200)); }
    fs.writeFileSync('left.txt', 'left behind'); process.chdir(base); console.log(base);`;

  it.each(BOTH_MODES)('%s: it is removed when the execution ends', async (_mode, server) => {
    const done = await run(server, `${DEEP_TREE} return 'made';`);
    expect([done.status, done.result]).toEqual(['completed', 'made']);
    const scratch = (done.output ?? '').trim();
    expect(scratch.startsWith(server.dataDir)).toBe(true);
    expect(await eventually(() => !fs.existsSync(scratch), 10_000, 50)).toBe(true);
  });

  it('left by a server that was killed, it does not keep the next one from starting, which removes it', async () => {
    const server = await spawnServer({ env: secrets, apiKey: false });
    const client = clientOf(server);
    try {
      const started = await client.sideExecution.startWithCode(`${DEEP_TREE} await new Promise(() => {});`);
      if (!started.success) throw new Error(started.error);
      let scratch = '';
      const printed = async () => {
        const status = await client.sideExecution.getStatus(started.sideExecutionId);
        scratch = status.success ? status.output.trim() : '';
        return scratch !== '';
      };
      expect(await eventually(printed, 15_000, 50)).toBe(true);
      server.child.kill('SIGKILL');
      await server.exited;
      expect(fs.existsSync(scratch)).toBe(true);
      const next = await spawnServer({ args: ['--data-dir', server.dataDir], env: secrets, apiKey: false });
      const nextClient = clientOf(next);
      try {
        expect(fs.existsSync(scratch)).toBe(false);
        expect((await runToEnd(nextClient, 'return 6 * 7')).result).toBe(42);
      } finally {
        nextClient.close();
        await stopAndRemove(next);
      }
    } finally {
      client.close();
      await stopAndRemove(server);
    }
  }, 60_000);
});

describe('the server and its guardian SIGKILLed together', () => {
  it('sandbox: 50 running trees (busy loops, awaiting code, setsid grandchildren): no process alive 2 s later', async () => {
    const server = await spawnServer({ env: { ...secrets, SIDEX_POOL_SIZE: '4' }, apiKey: false });
    const client = clientOf(server);
    const token = `sidex-tree-${randomUUID()}`;
    try {
      const trees = treeTokens(token, 50);
      const ids = await Promise.all(
        trees.map(async (tree, i) => {
          const started = await client.sideExecution.startWithCode(setsidTrees(tree)[i % 2]!);
          if (!started.success) throw new Error(started.error);
          return started.sideExecutionId;
        }),
      );
      expect(ids).toHaveLength(50);
      expect(await eventually(() => tokensAlive(trees) === 50, 30_000, 100)).toBe(true);
      const dataKeyMarked = () => findMarked(markerMatcher(`${dataKeyOf(server.dataDir)}.`, 'prefix'));
      expect(dataKeyMarked().length).toBeGreaterThanOrEqual(50);
      const guardian = guardianOf(server.child.pid!);
      expect(guardian).toBeDefined();
      // A live server replaces a dead guardian, whose sweep would then leave nothing for the next server to clean: frozen, it cannot.
      process.kill(server.child.pid!, 'SIGSTOP');
      process.kill(guardian!, 'SIGKILL');
      server.child.kill('SIGKILL');
      await server.exited;
      await sleep(2000);
      const left = withToken(token);
      const runtimes = dataKeyMarked();
      killAll([...left, ...runtimes]);
      expect(left).toEqual([]);
      expect(runtimes).toEqual([]);
      // Nothing was left to remove the dead run's cgroups: the next server of the data directory does, as it starts.
      expect(cgroupsOf(server.dataDir)).not.toEqual([]);
      const next = await spawnServer({ args: ['--data-dir', server.dataDir], env: { SIDEX_POOL_SIZE: '1' } });
      await stopAndRemove(next);
      // Its own run's go as it exits; what its runtimes held, once the kernel has reaped them (its guardian sees to it).
      expect(await eventually(() => cgroupsOf(server.dataDir).length === 0, 5000, 50)).toBe(true);
    } finally {
      client.close();
      await stopAndRemove(server);
    }
  });
});

describe('the user keyring', () => {
  const probe = (args: string[]) =>
    run(sandboxed, `return require('node:child_process').execFileSync('/usr/bin/python3', ['-c', probe, ...args]).toString()`, { probe: KEYRING_PROBE, args });

  // Keyrings are kept per uid, and a root server's sandboxes share one: the seccomp filter refuses the calls (syscall-filter.ts).
  itNeeds('python3', installed('python3'))('sandbox: the kernel keyring calls are refused, so no key passes from one execution to the next', async () => {
    const name = `sidex-${randomUUID()}`;
    expect((await probe(['put', name])).result).toBe('refused EPERM\n');
    expect((await probe(['take', name])).result).toBe('refused EPERM\n');
  });
});

describe('counts the kernel keeps per uid, under a root server', () => {
  const rootServer = process.getuid?.() === 0;

  itNeeds('a root server (this run is not root) and python3', rootServer && installed('python3'))(
    "sandbox: an execution holding every inotify instance its uid may have takes none of the next execution's",
    async () => {
      const { held, next } = await inotifyNextDoor(clients.get(sandboxed)!);
      // The hog reached its uid's limit: with one uid for every sandbox, this is the next execution's limit too.
      expect(held).toMatch(/held \d+, then refused EMFILE/);
      expect(next).toBe('made');
    },
  );

  itNeeds('a root server (this run is not root)', rootServer)('sandbox: executions at once run as uids of their own from the default range, which their /etc/passwd and USER name, with umask 002', async () => {
    const whoAmI = `await new Promise((r) => setTimeout(r, 300));
      return { uid: process.getuid(), user: require('node:os').userInfo().username, id: require('node:child_process').execFileSync('id', ['-un']).toString().trim(), USER: process.env.USER, umask: process.umask(), leaked: 'SIDEX_UMASK' in process.env };`;
    const ran = await Promise.all([0, 1, 2].map(() => run(sandboxed, whoAmI)));
    const uids = ran.map((r) => (r.result as { uid: number }).uid);
    expect(new Set(uids).size).toBe(3);
    for (const uid of uids) expect(uid >= 65536 && uid <= 99999, String(uid)).toBe(true);
    // Group-writable by default: uids of a range share one group, and a sandboxReadWrite directory with it.
    for (const r of ran) expect(r.result).toMatchObject({ user: 'sidex', id: 'sidex', USER: 'sidex', umask: 0o002, leaked: false });
  });

  itNeeds('a root server (this run is not root)', rootServer)(
    'a range of three uids: three runtimes alive at once, a fourth start refused (SANDBOX_UIDS_EXHAUSTED, the range named), and an ended one gives its uid back',
    async () => {
      const first = 0x7100_0000;
      const server = await spawnServer({ apiKey: false, env: { ...secrets, SIDEX_SANDBOX_UIDS: `${first}-${first + 2}`, SIDEX_POOL_SIZE: '0' } });
      const client = clientOf(server);
      const holdUid = 'await new Promise(() => {});';
      try {
        const holders = await Promise.all([0, 1, 2].map(() => client.sideExecution.startWithCode(holdUid)));
        const ids = holders.map((h) => (h.success ? h.sideExecutionId : ''));
        expect(ids.every(Boolean)).toBe(true);
        const refused = await client.sideExecution.startWithCode('return 1');
        expect(refused).toMatchObject({ success: false, code: 'SANDBOX_UIDS_EXHAUSTED' });
        expect(refused.success ? '' : refused.error).toContain(`${first}-${first + 2}`);
        // The refused spawn leaves no scratch directory behind: only the three runtimes' are there.
        const scratchDirs = () => fs.readdirSync(path.join(server.dataDir, 'scratch'), { recursive: true, encoding: 'utf8' }).filter((name) => /^[0-9a-f]+\/\d+$/.test(name)).length;
        expect(await eventually(() => scratchDirs() === 3, 5000)).toBe(true);
        await client.sideExecution.stop(ids[0]!, { graceMs: 0 });
        const again = await client.sideExecution.startWithCode('return process.getuid()');
        if (!again.success) throw new Error(again.error);
        const ended = await client.wait(again.sideExecutionId);
        expect(ended).toMatchObject({ success: true, status: 'completed' });
        expect([first, first + 1, first + 2]).toContain((ended as { result?: unknown }).result);
        await Promise.all(ids.slice(1).map((id) => client.sideExecution.stop(id, { graceMs: 0 })));
      } finally {
        client.close();
        await stopAndRemove(server);
      }
    },
  );
});

describe('network', () => {
  let port = 0;
  const target = http.createServer((_req, res) => res.end('reached'));
  afterAll(() => new Promise<void>((resolve) => target.close(() => resolve())));

  it("'none': only the sandbox's own loopback; a server on the host's loopback is out of reach", async () => {
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    port = (target.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}/`;
    expect((await run(sandboxed, DIAL, { url }, { network: 'none' })).result).toMatch(/^failed: ECONNREFUSED/);
    expect((await run(sandboxed, DIAL, { url }, { network: 'all' })).result).toBe('reached');
    expect((await run(sandboxed, DIAL, { url })).result).toBe('reached'); // the server's default
  });

  it('{allow}: a listed host is reached through the filtering proxy; an unlisted one, on the same machine or by name, is not', async () => {
    const other = http.createServer((_req, res) => res.end('other'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const otherPort = (other.address() as AddressInfo).port;
      const network = { allow: [`127.0.0.1:${port}`, 'example.com'] };
      const result = (
        await run(
          sandboxed,
          `const out = {};
           for (const [name, url] of Object.entries(urls)) {
             try { const res = await fetch(url); out[name] = res.status + ' ' + (await res.text()); } catch (e) { out[name] = 'failed'; }
           }
           out.rawSocket = await new Promise((resolve) => require('node:net').connect(otherPort, '127.0.0.1').on('connect', () => resolve('connected')).on('error', (e) => resolve(e.code)));
           return out;`,
          { urls: { listed: `http://127.0.0.1:${port}/`, otherPort: `http://127.0.0.1:${otherPort}/`, byName: 'http://sidex-test.invalid/' }, otherPort },
          { network },
        )
      ).result;
      expect(result).toEqual({ listed: '200 reached', otherPort: 'failed', byName: 'failed', rawSocket: 'ECONNREFUSED' });
    } finally {
      other.close();
    }
  });

  it('a bad allowlist entry is refused with the entry named (INVALID_NETWORK), and nothing runs', async () => {
    const client = clients.get(sandboxed)!;
    const counts = async () => (await fetch(`${sandboxed.url}/v1/executions/counts`, { headers: { authorization: `Bearer ${secrets.SIDEX_API_KEY}` } })).json();
    const before = await counts();
    const started = await client.sideExecution.startWithCode('return 1', {}, undefined, { network: { allow: ['example.com', 'http://evil'] } });
    expect(started.success).toBe(false);
    if (started.success) return;
    expect(started).toMatchObject({ code: 'INVALID_NETWORK' });
    expect(started.error).toContain('options.network.allow[1]');
    expect(await counts()).toEqual(before);
  });

  it('process isolation: a network narrower than "all" is refused (NETWORK_UNAVAILABLE), at start and as a server default', async () => {
    const started = await clients.get(unsandboxed)!.sideExecution.startWithCode('return 1', {}, undefined, { network: 'none' });
    expect(started).toMatchObject({ success: false, code: 'NETWORK_UNAVAILABLE', error: expect.stringContaining('options.network') });
    const serve = await runCli(['serve', '--port', '0', '--isolation', 'process', '--network', 'none', '--data-dir', path.join(unsandboxed.root, 'refused')]);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/invalid configuration: network: only "all" is possible without a sandbox/);
  });

  it("allowlisted sandboxes together cannot take the server's descriptors through their proxies (four held all 4,096 of one)", async () => {
    const server = await spawnServer({ env: secrets, apiKey: false });
    const client = clientOf(server);
    const pid = server.child.pid!;
    const descriptors = () => fs.readdirSync(`/proc/${pid}/fd`).length;
    // The server's limit, lowered as an operator's ulimit would have it; proxies read it when they start.
    execFileSync('prlimit', ['--pid', String(pid), '--nofile=1024:1024']);
    const HOLD = `const net = require('node:net'); const held = [];
      await Promise.all(Array.from({ length: 800 }, () => new Promise((done) => {
        const socket = net.connect(process.env.SIDEX_PROXY_SOCKET);
        socket.on('connect', () => { socket.write('GET http://example.com/ HTTP/1.1\\r\\nHost: exa'); held.push(socket); done(); });
        socket.on('error', done); socket.on('close', done);
      })));
      console.log('holding'); await new Promise(() => {});`;
    const ids: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const started = await client.sideExecution.startWithCode(HOLD, {}, undefined, { network: { allow: ['example.com'] } });
        if (!started.success) throw new Error(started.error);
        ids.push(started.sideExecutionId);
      }
      const holding = async () => (await Promise.all(ids.map((id) => client.sideExecution.getStatus(id)))).every((s) => s.success && s.output.includes('holding'));
      expect(await eventually(holding, 30_000, 100)).toBe(true);
      // At most a quarter of the limit in client connections, each with an upstream at most: room is left.
      expect(descriptors()).toBeLessThan(1024 - 200);
      expect((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2000) })).status).toBe(200);
      expect((await runToEnd(client, 'return 6 * 7')).result).toBe(42);
    } finally {
      await Promise.all(ids.map((id) => client.sideExecution.stop(id, { force: true })));
      client.close();
      await stopAndRemove(server);
    }
  }, 90_000);

  it("a bad network value is refused with its field named, and nothing runs", async () => {
    const client = clients.get(sandboxed)!;
    const started = await client.sideExecution.startWithCode('return 1', {}, undefined, { network: 'some' as never });
    expect(started.success).toBe(false);
    if (started.success) return;
    expect(started.error).toMatch(/options\.network/);
  });
});
