// A root server's sandbox uids: one per live runtime from a range, given
// again only after the rest of the range (sandbox-attacks.test.ts runs the
// attacks this is for against a real server).
import { SidexClient } from '@sidex/client';
import { describe, expect, it } from 'vitest';
import { SidexError } from '../dist/errors.js';
import { passwdWith } from '../dist/engine/sandbox/passwd-entry.js';
import { mapsAll } from '../dist/engine/sandbox/sandbox-user.js';
import { UidLeases } from '../dist/engine/sandbox/uid-leases.js';
import { installed, itNeeds } from './helpers/machine-needs.js';
import { spawnServer, stopAndRemove, type TestServer } from './helpers/server.js';

describe('UidLeases', () => {
  it('gives each live runtime its own uid, going round the range rather than back to a uid just given back', () => {
    const leases = new UidLeases({ kind: 'range', uids: { first: 5000, count: 3 }, gid: 65534 });
    const a = leases.lease();
    const b = leases.lease();
    expect([a.uid, b.uid, a.gid]).toEqual([5000, 5001, 65534]);
    a.release();
    expect(leases.lease().uid).toBe(5002);
    expect(leases.lease().uid).toBe(5000);
  });

  it('refuses a lease when every uid is held (SANDBOX_UIDS_EXHAUSTED, the range named), and gives one again once released', () => {
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
    expect(leases.lease().uid).toBe(5001);
  });

  it('with sandboxUid, every runtime gets that one uid and its group', () => {
    const leases = new UidLeases({ kind: 'shared', uid: 65534, gid: 65534 });
    expect([leases.lease(), leases.lease()].map((l) => [l.uid, l.gid])).toEqual([
      [65534, 65534],
      [65534, 65534],
    ]);
  });
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

/** Runs inline code on the server and waits for its end. */
async function runOn(server: TestServer, code: string): Promise<Record<string, unknown>> {
  const client = new SidexClient({ url: server.url, apiKey: server.apiKey });
  try {
    const started = await client.sideExecution.startWithCode(code);
    if (!started.success) throw new Error(started.error);
    return (await client.wait(started.sideExecutionId)) as unknown as Record<string, unknown>;
  } finally {
    client.close();
  }
}

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
        expect(server.stderr()).toMatch(/every sandbox runs as uid 65534, sharing the counts the kernel keeps per uid[^\n]*uids 1879048192-1879113727 do not all exist in this user namespace \(its uid_map: 0 0 65536\)/);
      } finally {
        await stopAndRemove(server);
      }
    },
  );

  itNeeds('root, to make and map the user namespace (this run is not root)', rootRun && installed('unshare'))(
    'a sandboxUids range outside the map is refused at start: exit 2, the setting named',
    async () => {
      const failed = await spawnServer({ userNamespaceMap: '0 0 65536\n', env: { SIDEX_SANDBOX_UIDS: '1879048192-1879048200' } }).then(
        async (server) => {
          await stopAndRemove(server);
          return 'started';
        },
        (err: Error) => err.message,
      );
      expect(failed).toMatch(/exited with 2/);
      expect(failed).toMatch(/sandboxUids: uids 1879048192-1879048200 do not all exist in this user namespace/);
    },
  );
});
