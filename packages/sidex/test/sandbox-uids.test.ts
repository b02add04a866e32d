// A root server's sandbox uids: one per live runtime from a range, given
// again only after the rest of the range (sandbox-attacks.test.ts runs the
// attacks this is for against a real server).
import { describe, expect, it } from 'vitest';
import { SidexError } from '../dist/errors.js';
import { passwdWith } from '../dist/engine/sandbox/passwd-entry.js';
import { UidLeases } from '../dist/engine/sandbox/uid-leases.js';

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
