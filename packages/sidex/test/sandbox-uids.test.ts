// A root server's sandbox uids: one per live runtime from a range, given
// again only after the rest of the range (sandbox-attacks.test.ts runs the
// attacks this is for against a real server).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SidexClient } from '@sidex/client';
import { afterAll, describe, expect, it } from 'vitest';
import { SidexError } from '../dist/errors.js';
import { accountsWithin, passwdWith } from '../dist/engine/sandbox/passwd-entry.js';
import { mapsAll, sandboxUser } from '../dist/engine/sandbox/sandbox-user.js';
import { dataKeyOf, findMarked, markerMatcher } from '../dist/engine/tree/marker.js';
import { UidLeases } from '../dist/engine/sandbox/uid-leases.js';
import { HOST_UID_CLAIMS_DIR } from '../dist/engine/sandbox/claims-dir.js';
import { openClaimsDir, sweepAbandoned } from '../dist/engine/sandbox/host-uid-claims.js';
import { startupWarnings } from './helpers/startup-warnings.js';
import { installed, itNeeds } from './helpers/machine-needs.js';
import { spawnServer, stopAndRemove, type TestServer } from './helpers/server.js';
import { killAll, runToEnd } from './helpers/attacks.js';
import { eventually, pidAlive, sleep } from './helpers/sidex.js';

describe('UidLeases', () => {
  it('gives each live runtime a uid of its own from the range, with the shared group', () => {
    const leases = new UidLeases({ kind: 'range', uids: { first: 5000, count: 3 }, gid: 65534 });
    const held = [leases.lease(), leases.lease(), leases.lease()];
    expect(held.map((l) => l.uid).sort()).toEqual([5000, 5001, 5002]);
    expect(new Set(held.map((l) => l.gid))).toEqual(new Set([65534]));
  });

  it('refuses a lease when every uid is held (SANDBOX_UIDS_EXHAUSTED, the range named), and gives the uid released next', () => {
    const leases = new UidLeases({ kind: 'range', uids: { first: 5000, count: 2 }, gid: 65534 });
    const held = [leases.lease(), leases.lease()];
    let err: unknown;
    try {
      leases.lease();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SidexError);
    expect(err).toMatchObject({ code: 'SANDBOX_UIDS_EXHAUSTED', message: expect.stringContaining('5000-5001') });
    held[1]!.release();
    expect(leases.lease().uid).toBe(held[1]!.uid);
  });

  it("a lease released twice (given back before the answer, again when the runtime is let go) never frees the uid's next holder", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-uid-claims-'));
    try {
      const leases = new UidLeases({ kind: 'range', uids: { first: 5000, count: 1 }, gid: 65534, claimsDir: dir });
      const first = leases.lease();
      first.release();
      const next = leases.lease();
      first.release();
      expect(() => leases.lease()).toThrow(expect.objectContaining({ code: 'SANDBOX_UIDS_EXHAUSTED' }));
      expect(fs.readdirSync(dir).filter((name) => !name.startsWith('.'))).toEqual([String(next.uid)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws uids at random, so that code cannot tell which one a later execution gets', () => {
    const firsts = new Set<number>();
    for (let i = 0; i < 20; i++) firsts.add(new UidLeases({ kind: 'range', uids: { first: 65536, count: 34464 }, gid: 65534 }).lease().uid);
    // 20 draws from 34,464 uids: the chance of 5 or fewer distinct values is far below 1e-30.
    expect(firsts.size).toBeGreaterThan(5);
  });

  it('with sandboxUid, every runtime gets that one uid and its group', () => {
    const leases = new UidLeases({ kind: 'shared', uid: 65534, gid: 65534 });
    expect([leases.lease(), leases.lease()].map((l) => [l.uid, l.gid])).toEqual([
      [65534, 65534],
      [65534, 65534],
    ]);
  });
});

describe('uids claimed host-wide, for root servers that share a range', () => {
  const claimsDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-uid-claims-'));
    cleanup.push(dir);
    return dir;
  };
  const cleanup: string[] = [];
  afterAll(() => {
    for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
  });
  /** The claims, without the working files and the servers' FIFOs beside them. */
  const claimsIn = (dir: string) => fs.readdirSync(dir).filter((name) => !name.startsWith('.'));
  const range = (dir: string) => ({ kind: 'range' as const, uids: { first: 5000, count: 2 }, gid: 65534, claimsDir: dir });

  it("two servers' leases never hold one uid at once; a server finding the rest held elsewhere is refused, naming the other servers", () => {
    const dir = claimsDir();
    const [one, other] = [new UidLeases(range(dir)), new UidLeases(range(dir))];
    const first = one.lease();
    const second = other.lease();
    expect(second.uid).not.toBe(first.uid);
    expect(claimsIn(dir).sort()).toEqual([String(first.uid), String(second.uid)].sort());
    let err: unknown;
    try {
      other.lease();
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SANDBOX_UIDS_EXHAUSTED', message: expect.stringContaining('other sidex servers') });
    first.release();
    expect(fs.existsSync(path.join(dir, String(first.uid)))).toBe(false);
    expect(other.lease().uid).toBe(first.uid);
  });

  it("a freed uid's claim stays until release: this server's next lease takes it as it stands, and the first lease's release then leaves it be", () => {
    const dir = claimsDir();
    const one = new UidLeases({ ...range(dir), uids: { first: 5000, count: 1 } });
    const first = one.lease();
    const claim = path.join(dir, String(first.uid));
    const says = fs.readFileSync(claim, 'latin1');
    first.free();
    expect(fs.readFileSync(claim, 'latin1')).toBe(says);
    // This server leases it again at once, on the same claim; the first lease's late release must not remove it.
    const again = one.lease();
    expect(again.uid).toBe(first.uid);
    first.release();
    expect(fs.readFileSync(claim, 'latin1')).toBe(says);
    // Freed and released with nobody drawing it meanwhile: the claim goes.
    again.free();
    again.release();
    expect(claimsIn(dir)).toEqual([]);
  });

  it('a freed uid is leased again at once even where the rest of a wide range is held by other leases (it is not passed over as held elsewhere)', () => {
    const dir = claimsDir();
    const wide = { ...range(dir), uids: { first: 5000, count: 40 } };
    const [mine, others] = [new UidLeases(wide), new UidLeases(wide)];
    const held = Array.from({ length: 39 }, () => others.lease());
    let lease = mine.lease();
    for (let round = 0; round < 50; round++) {
      lease.free();
      const next = mine.lease();
      expect(next.uid).toBe(lease.uid);
      lease.release();
      lease = next;
    }
    lease.release();
    for (const other of held) other.release();
    expect(claimsIn(dir)).toEqual([]);
  });

  it("takes over a claim whose server is gone: its FIFO has no reader (killed), or is missing, or the claim is not one it understands; never a live server's", () => {
    const dir = claimsDir();
    const claimed = (uid: number, holder: string) => fs.writeFileSync(path.join(dir, String(uid)), `${holder} 0123456789abcdef`);
    const holders = path.join(dir, '.holders');
    fs.mkdirSync(holders);
    const [live, killed] = ['a'.repeat(32), 'b'.repeat(32)];
    execFileSync('mkfifo', [path.join(holders, live), path.join(holders, killed)]);
    // Another server, alive: it holds its FIFO open. The killed one's has no reader.
    const reader = fs.openSync(path.join(holders, live), fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    claimed(5000, live);
    claimed(5001, killed);
    const leases = new UidLeases(range(dir));
    // Swept as this server started: the killed server's FIFO and claim; the live one's stay.
    expect(fs.readdirSync(holders)).toContain(live);
    expect(fs.readdirSync(holders)).not.toContain(killed);
    expect(claimsIn(dir)).toEqual(['5000']);
    const taken = leases.lease();
    expect(taken.uid).toBe(5001);
    expect(() => leases.lease()).toThrow(/other sidex servers/);
    fs.closeSync(reader); // the live server ends
    const after = leases.lease();
    expect(after.uid).toBe(5000);
    after.release();
    for (const holder of ['c'.repeat(32) /* no FIFO at all */, '4194305 1 pid:[4026531836]' /* not understood */]) {
      claimed(5000, holder);
      const next = leases.lease();
      expect(next.uid).toBe(5000);
      next.release();
    }
    taken.release();
    expect(claimsIn(dir)).toEqual([]);
  });

  it('claimers in processes of their own, some killed while holding, never hold a uid at once; what the killed held is taken over', async () => {
    const dir = claimsDir();
    const claimer = fileURLToPath(new URL('./fixtures/uid-claimer.mjs', import.meta.url));
    const start = (rounds: number) => spawn(process.execPath, [claimer, dir, String(rounds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const results = [0, 1, 2].map(() => {
      const child = start(1500);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      return new Promise<{ held: number; together: unknown[] }>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`claimer exited ${code}`)))));
    });
    for (let crash = 0; crash < 3; crash++) {
      const doomed = start(1_000_000);
      await sleep(300);
      doomed.kill('SIGKILL');
      await new Promise((resolve) => doomed.once('exit', resolve));
    }
    const counts = await Promise.all(results);
    for (const c of counts) expect(c.together).toEqual([]);
    for (const c of counts) expect(c.held).toBeGreaterThan(100);
    // A claimer killed while claiming may leave its working file (swept at a later start, below): no claim.
    expect(claimsIn(path.join(dir, 'claims'))).toEqual([]);
  }, 60_000);

  it("sweeps the working files a server killed while claiming left, not one that may be in use", () => {
    const dir = claimsDir();
    for (const name of ['.claim.0123', '.stale.4567']) fs.writeFileSync(path.join(dir, name), '');
    sweepAbandoned(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['.claim.0123', '.stale.4567']);
    sweepAbandoned(dir, Date.now() + 120_000);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a directory others may write, where anyone could claim every uid or free a server\'s', () => {
    const dir = claimsDir();
    fs.chmodSync(dir, 0o777);
    expect(openClaimsDir(dir)).toEqual({ unavailable: `${dir} may be changed by another user than root or this one` });
    fs.chmodSync(dir, 0o700);
    expect(openClaimsDir(dir)).toEqual({ dir });
  });

  it('finds the one uid of a range that another server holds all but, and then refuses', () => {
    const dir = claimsDir();
    const wide = { ...range(dir), uids: { first: 6000, count: 300 } };
    const other = new UidLeases(wide);
    const held = new Set(Array.from({ length: 299 }, () => other.lease().uid));
    const leases = new UidLeases(wide);
    const found = leases.lease().uid;
    expect(held.has(found)).toBe(false);
    expect(() => leases.lease()).toThrow(/other sidex servers/);
  });

  it('a claim that cannot be written fails with SANDBOX_UID_CLAIM_FAILED, naming the directory', () => {
    const dir = claimsDir();
    const leases = new UidLeases(range(dir));
    fs.rmSync(dir, { recursive: true });
    fs.writeFileSync(dir, 'not a directory');
    expect(() => leases.lease()).toThrow(expect.objectContaining({ code: 'SANDBOX_UID_CLAIM_FAILED', message: expect.stringContaining(dir) }));
    fs.rmSync(dir);
  });

  it('makes the directory again when something removed it while the server ran', () => {
    const dir = claimsDir();
    const leases = new UidLeases(range(dir));
    fs.rmSync(dir, { recursive: true });
    const lease = leases.lease();
    expect(claimsIn(dir)).toEqual([String(lease.uid)]);
  });

  itNeeds('root (this run is not root)', process.getuid?.() === 0)('a root server that cannot claim host-wide says so, and runs with its own leases alone', () => {
    const file = path.join(claimsDir(), 'a-file');
    fs.writeFileSync(file, '');
    const all = { uid: `0 0 ${2 ** 32 - 1}`, gid: `0 0 ${2 ** 32 - 1}` };
    const user = sandboxUser({}, all, path.join(file, 'sandbox-uids'));
    expect(user.uncoordinatedBecause).toMatch(/sandbox-uids cannot be made \(ENOTDIR\)/);
    expect(user.switchTo).toEqual({ kind: 'range', uids: { first: 65536, count: 34464 }, gid: 65534 });
  });

  it('where uids are not claimed host-wide, the start-up log warns with the reason', () => {
    const warned = [...startupWarnings({ user: {} }), ...startupWarnings({ user: { uncoordinatedBecause: '/run/sidex/sandbox-uids cannot be made (EROFS)' } })];
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ reason: '/run/sidex/sandbox-uids cannot be made (EROFS)', msg: expect.stringContaining('another root sidex server on this host may give a sandbox the same uid') });
  });

  itNeeds('a root server (this run is not root)', process.getuid?.() === 0)(
    'two real servers with one range of three: their sandboxes never share a uid, the one short of a uid is refused, and a crashed server\'s uids are taken over',
    async () => {
      const first = 0x7300_0000 + Math.floor(Math.random() * 0x10_0000) * 4;
      const env = { SIDEX_SANDBOX_UIDS: `${first}-${first + 2}`, SIDEX_POOL_SIZE: '0' };
      const servers = await Promise.all([spawnServer({ apiKey: false, env }), spawnServer({ apiKey: false, env })]);
      const clients: SidexClient[] = [];
      const holdUid = 'ctx.checkpoint(process.getuid()); await new Promise(() => {});';
      const checkpointOf = async (client: SidexClient, id: string) => {
        const status = await client.sideExecution.getStatus(id);
        return status.success ? status.checkpoint : undefined;
      };
      const uidOf = async (client: SidexClient, id: string) => {
        expect(await eventually(async () => (await checkpointOf(client, id)) !== undefined, 10_000)).toBe(true);
        return (await checkpointOf(client, id)) as number;
      };
      const started = async (client: SidexClient) => {
        const started = await client.sideExecution.startWithCode(holdUid);
        if (!started.success) throw new Error(started.error);
        return started.sideExecutionId;
      };
      const claims = () => fs.readdirSync(HOST_UID_CLAIMS_DIR).filter((name) => [first, first + 1, first + 2].includes(Number(name)));
      try {
        const [one, other] = servers.map((server) => clients[clients.push(new SidexClient({ url: server.url, apiKey: server.apiKey })) - 1]!);
        const ones = [await started(one!), await started(one!)];
        const others = [await started(other!)];
        const uids = [...(await Promise.all(ones.map((id) => uidOf(one!, id)))), await uidOf(other!, others[0]!)];
        expect(new Set(uids).size).toBe(3);
        expect(claims().sort()).toEqual(uids.map(String).sort());
        const refused = await other!.sideExecution.startWithCode('return 1');
        expect(refused).toMatchObject({ success: false, code: 'SANDBOX_UIDS_EXHAUSTED' });
        expect(refused.success ? '' : refused.error).toContain('other sidex servers');

        // Killed outright, the first server leaves its two claims behind: the other takes them over.
        servers[0]!.child.kill('SIGKILL');
        await servers[0]!.exited;
        expect(claims()).toHaveLength(3);
        const after = [await started(other!), await started(other!)];
        const taken = await Promise.all(after.map((id) => uidOf(other!, id)));
        expect(taken.sort()).toEqual(uids.slice(0, 2).sort());
        for (const id of [...others, ...after]) await other!.sideExecution.stop(id, { graceMs: 0 });
      } finally {
        for (const client of clients) client.close();
        await Promise.all(servers.map((server) => stopAndRemove(server)));
      }
      // A server that ends gives back every uid it claimed, its idle pooled runtimes' too.
      expect(claims()).toEqual([]);
      const pooled = await spawnServer({ apiKey: false, env: { ...env, SIDEX_POOL_SIZE: '2' } });
      try {
        expect(await eventually(() => claims().length === 2, 10_000)).toBe(true);
      } finally {
        await stopAndRemove(pooled);
      }
      expect(claims()).toEqual([]);
    },
  );
});

describe('passwdWith', () => {
  const host = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';

  it("adds a line naming a uid the host's file does not know, homed in the scratch directory", () => {
    expect(passwdWith(1879048192, 65534, '/data/scratch/r/1', host)).toBe(`${host}sidex:x:1879048192:65534:sidex sandbox:/data/scratch/r/1:/bin/sh\n`);
  });

  it("leaves a uid the host knows to the host's file", () => {
    expect(passwdWith(65534, 65534, '/data/scratch/r/1', host)).toBeUndefined();
  });

  it('never writes a separator into a field: a home holding one becomes /tmp', () => {
    expect(passwdWith(1879048192, 65534, '/data:x/1', host.trimEnd())).toBe(`${host}sidex:x:1879048192:65534:sidex sandbox:/tmp:/bin/sh\n`);
  });
});

/** Runs inline code on the server to its end; answers its record. */
async function runOn(server: TestServer, code: string) {
  const client = new SidexClient({ url: server.url, apiKey: server.apiKey });
  try {
    return await runToEnd(client, code);
  } finally {
    client.close();
  }
}

describe('a range that holds host accounts', () => {
  it('names them (accountsWithin)', () => {
    const host = 'root:x:0:0::/root:/bin/sh\ndaemon:x:1:1::/:/bin/sh\nbin:x:2:2::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n';
    expect(accountsWithin(1, 3, host)).toEqual(['daemon', 'bin']);
    expect(accountsWithin(65536, 34464, host)).toEqual([]);
  });

  itNeeds('a root server (this run is not root)', process.getuid?.() === 0)('is named by the start-up log, as a misconfiguration', async () => {
    const server = await spawnServer({ env: { SIDEX_SANDBOX_UIDS: '1-3' } });
    try {
      const names = accountsWithin(1, 3, fs.readFileSync('/etc/passwd', 'utf8'));
      expect(names.length).toBeGreaterThan(0);
      expect(server.stderr()).toContain(`sandboxUids holds the uids of host accounts (${names.join(', ')})`);
    } finally {
      await stopAndRemove(server);
    }
  });
});

describe('mapsAll', () => {
  it.each([
    ['the whole 32-bit map', '0 0 4294967295', { first: 0x7000_0000, count: 0x1_0000 }, true],
    ["a rootless container's 65,536", '0 100000 65536', { first: 0x7000_0000, count: 0x1_0000 }, false],
    ['a range inside it', '0 100000 65536', { first: 1000, count: 100 }, true],
    ['a range running past its end', '0 100000 65536', { first: 65500, count: 100 }, false],
    ['a range across two adjoining lines', '0 0 1000\n1000 5000 1000', { first: 900, count: 200 }, true],
    ['a range across a hole between lines', '0 0 1000\n1001 5000 1000', { first: 900, count: 200 }, false],
  ])('%s', (_name, map, range, expected) => {
    expect(mapsAll(map, range)).toBe(expected);
  });
});

describe('a root server in a user namespace that maps only uids 0-65535, as a rootless container', () => {
  const rootRun = process.getuid?.() === 0;

  itNeeds('root, to make and map the user namespace (this run is not root)', rootRun && installed('unshare'))(
    'the default range is not there: every sandbox runs as 65534, and the start-up log says why',
    async () => {
      const server = await spawnServer({ userNamespaceMap: '0 0 65536\n' });
      try {
        const health = (await (await fetch(`${server.url}/healthz`)).json()) as { isolation?: { mode?: string } };
        expect(health.isolation?.mode).toBe('sandbox');
        const ran = await runOn(server, 'return process.getuid()');
        expect(ran).toMatchObject({ status: 'completed', result: 65534 });
        expect(server.stderr()).toMatch(/every sandbox runs as uid 65534, sharing the counts the kernel keeps per uid[^\n]*uids 65536-99999 and gid 65534 do not all exist in this user namespace \(its uid_map: 0 0 65536; gid_map: 0 0 65536\)/);
      } finally {
        await stopAndRemove(server);
      }
    },
  );

  // sandboxUid had fallen back to process isolation there, running code as root.
  const outsideTheMap: Array<[string, Record<string, string>, RegExp]> = [
    ['a sandboxUids range', { SIDEX_SANDBOX_UIDS: '1879048192-1879048200' }, /sandboxUids: uids 1879048192-1879048200 and gid 65534 do not all exist in this user namespace/],
    ['a sandboxUid', { SIDEX_SANDBOX_UID: '100000' }, /sandboxUid: uid 100000 and gid 100000 do not all exist in this user namespace/],
  ];
  for (const [what, env, message] of outsideTheMap) {
    itNeeds('root, to make and map the user namespace (this run is not root)', rootRun && installed('unshare'))(`${what} outside the map is refused at start: exit 2, the setting named`, async () => {
      const failed = await spawnServer({ userNamespaceMap: '0 0 65536\n', env }).then(
        async (server) => {
          await stopAndRemove(server);
          return 'started';
        },
        (err: Error) => err.message,
      );
      expect(failed).toMatch(/exited with 2/);
      expect(failed).toMatch(message);
    });
  }

  itNeeds('root, to make and map the user namespace (this run is not root)', rootRun && installed('unshare'))(
    'a map without 65534 either: no sandbox, and /healthz says why rather than blaming user namespaces',
    async () => {
      const server = await spawnServer({ userNamespaceMap: '0 0 1000\n' });
      try {
        const health = (await (await fetch(`${server.url}/healthz`)).json()) as { isolation?: { mode?: string; reason?: string } };
        expect(health.isolation).toMatchObject({ mode: 'process', reason: expect.stringMatching(/^no uid to run sandboxes as: uids 65536-99999 and gid 65534 do not all exist .*nor does 65534 to fall back on/) });
      } finally {
        await stopAndRemove(server);
      }
    },
  );
});

describe('a pooled runtime that dies idle', () => {
  itNeeds('a root server (this run is not root)', process.getuid?.() === 0)(
    'gives back its uid, scratch directory and passwd file: with a range of two, two idle deaths leave the next start a uid',
    async () => {
      const server = await spawnServer({ env: { SIDEX_SANDBOX_UIDS: '1879100000-1879100001', SIDEX_POOL_SIZE: '1', SIDEX_MAX_CONCURRENT: '1' } });
      const marked = markerMatcher(`${dataKeyOf(server.dataDir)}.`, 'prefix');
      try {
        for (let death = 0; death < 2; death++) {
          // The pool's runtime booted and waiting: its processes carry the data directory's marker.
          expect(await eventually(() => findMarked(marked).length > 0, 10_000)).toBe(true);
          const idle = findMarked(marked);
          killAll(idle); // bwrap's death ends the rest: some are gone before their turn
          expect(await eventually(() => idle.every((pid) => !pidAlive(pid)), 5000)).toBe(true);
          await sleep(500); // the pool refills in its own time
        }
        const ran = await runOn(server, 'return process.getuid()');
        expect(ran).toMatchObject({ status: 'completed' });
        expect([1879100000, 1879100001]).toContain(ran.result);
        const scratchRoot = path.join(server.dataDir, 'scratch');
        const leftOver = fs.readdirSync(scratchRoot, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.passwd'));
        // The runtime the pool holds now has one; the dead ones' are gone.
        expect(leftOver.length).toBeLessThanOrEqual(1);
      } finally {
        await stopAndRemove(server);
      }
    },
  );
});
