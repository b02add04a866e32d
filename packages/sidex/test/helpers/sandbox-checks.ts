// What every sandboxed server must withstand, checked the same way whoever it
// runs as (sandbox-attacks: a root server; sandbox-non-root: uid 65534).
import fs from 'node:fs';
import path from 'node:path';
import type { SidexClient } from '@sidex/client';
import { expect } from 'vitest';
import { DATA_DIR_ATTACK, dataTargets, pidAlive, runToEnd, startVictim } from './attacks.js';
import type { TestServer } from './spawn-server.js';

/** Server and guardian alive and not stopped, and the server still runs work. */
export async function expectServerUnharmed(server: TestServer, client: SidexClient, guardian: number): Promise<void> {
  const serverPid = server.child.pid!;
  expect(pidAlive(serverPid)).toBe(true);
  expect(pidAlive(guardian)).toBe(true);
  for (const pid of [serverPid, guardian]) expect(fs.readFileSync(`/proc/${pid}/stat`, 'latin1')).not.toMatch(/\) T /);
  const health = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>;
  expect(health).toMatchObject({ status: 'ok', isolation: { mode: 'sandbox' } });
  expect((await runToEnd(client, 'return 6 * 7')).result).toBe(42);
}

/**
 * DATA_DIR_ATTACK from a sandbox of `server` at its key file (holding
 * `apiKey`), its database, and a victim execution's scratch file and log:
 * none of them exists inside, and none changes on disk (the database aside,
 * which the server itself writes meanwhile).
 */
export async function expectDataDirectoryOutOfReach(server: TestServer, client: SidexClient, apiKey: string): Promise<void> {
  const keyFile = path.join(server.dataDir, 'api-key');
  fs.writeFileSync(keyFile, `${apiKey}\n`, { mode: 0o600 });
  const owner = fs.statSync(server.dataDir);
  fs.chownSync(keyFile, owner.uid, owner.gid); // the server's, as its own key file would be
  const victim = await startVictim(client);
  const targets = dataTargets(server.dataDir, victim);
  const before = Object.fromEntries(Object.entries(targets).map(([k, f]) => [k, fs.readFileSync(f)]));
  const result = (await runToEnd(client, DATA_DIR_ATTACK, { targets, dataDir: server.dataDir, mark: ['pw', 'ned'] })).result as Record<string, unknown>;
  for (const name of Object.keys(targets)) {
    expect(result[`read ${name}`], name).toMatch(/^(ENOENT|EACCES)$/);
    expect(result[`write ${name}`], name).toMatch(/^(ENOENT|EACCES|EROFS)$/);
  }
  expect(result.replaceKey).toMatch(/^(ENOENT|EACCES|EROFS)$/);
  // What is left of it inside is the path down to its own scratch directory: empty directories.
  expect(result.listData === 'EACCES' || result.listData === 'ENOENT' || JSON.stringify(result.listData) === '["scratch"]', String(result.listData)).toBe(true);
  expect(fs.readFileSync(targets.keyFile)).toEqual(before.keyFile);
  expect(fs.readFileSync(targets.otherScratch)).toEqual(before.otherScratch);
  expect(fs.readFileSync(targets.otherLog)).toEqual(before.otherLog);
  await client.sideExecution.stop(victim.id, { force: true });
}
