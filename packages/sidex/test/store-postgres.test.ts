import os from 'node:os';
import { SidexClient } from '@sidex/client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openStore, Sidex, type ExecutionStore } from '../dist/index.js';
import { openSidex, sidexHome } from './fixtures/open-sidex.js';
import { makeRecord } from './fixtures/records.js';
import { PgSchemas, postgresMissing, postgresUrl } from './fixtures/pg-schemas.js';
import { spawnServer, stopAndRemove } from './helpers/server.js';
import { sqlWriteAtomicity, storeContract } from './store-contract.js';
import { postgresMigrations } from '../dist/store/postgres/migrations.js';
import { serversFor } from './helpers/machine-needs.js';

const missing = postgresMissing();

if (serversFor('PostgreSQL store', missing)) {
  const schemas = new PgSchemas();
  afterAll(() => schemas.dropAll());

  const factory = { open: () => openStore(schemas.spec(), os.tmpdir()), cleanup: () => schemas.dropAll() };
  storeContract('postgres', factory);
  sqlWriteAtomicity('postgres', factory);

  describe('store: postgres specifics', () => {
    const open: ExecutionStore[] = [];
    const track = (s: ExecutionStore) => (open.push(s), s);
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
    });

    const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { code?: string; message?: string });

    it('an unreachable server: STORE_UNAVAILABLE at once, naming the URL without its password', async () => {
      const began = Date.now();
      const err = await errorOf(openStore('postgres://sidex:s3cret@127.0.0.1:1/nothing', os.tmpdir()));
      expect(err?.code).toBe('STORE_UNAVAILABLE');
      expect(err?.message).toContain('127.0.0.1:1/nothing');
      expect(err?.message).not.toContain('s3cret');
      expect(Date.now() - began).toBeLessThan(6000);
    });

    it('a database that does not exist, a bad URL, a bad schema name: clear errors', async () => {
      const url = new URL(postgresUrl!);
      url.pathname = '/no_such_database_here';
      expect((await errorOf(openStore(url.href, os.tmpdir())))?.code).toBe('STORE_UNAVAILABLE');
      expect((await errorOf(openStore('postgres://exa mple:5432/x', os.tmpdir())))?.code).toBe('INVALID_CONFIG');
      const badSchema = new URL(postgresUrl!);
      badSchema.searchParams.set('schema', 'x"; drop table y; --');
      const err = await errorOf(openStore(badSchema.href, os.tmpdir()));
      expect(err?.code).toBe('INVALID_CONFIG');
      expect(err?.message).toContain('schema');
    });

    it('one server per data directory: a second store of the same owner gets STORE_LOCKED until the first closes', async () => {
      const spec = schemas.spec();
      const first = await openStore(spec, '/data/one');
      const err = await errorOf(openStore(spec, '/data/one'));
      expect(err?.code).toBe('STORE_LOCKED');
      expect(err?.message).toContain('/data/one');
      track(await openStore(spec, '/data/two')); // another data directory shares the database
      await first.close();
      track(await openStore(spec, '/data/one'));
    });

    it('a shared database: reads see every server, recovery and retention only their own records', async () => {
      const spec = schemas.spec();
      const a = track(await openStore(spec, '/data/a'));
      const b = track(await openStore(spec, '/data/b'));
      const aLive = makeRecord({ status: 'running' });
      const aEnded = makeRecord({ status: 'completed' });
      const bLive = makeRecord({ status: 'running' });
      const bEnded = makeRecord({ status: 'completed' });
      for (const r of [aLive, aEnded]) await a.insert(r);
      for (const r of [bLive, bEnded]) await b.insert(r);
      expect((await a.list({})).items).toHaveLength(4);
      expect(await a.get(bLive.id)).toEqual(bLive);
      expect((await b.counts()).running).toBe(2);
      expect((await a.unfinished()).map((r) => r.id)).toEqual([aLive.id]);
      expect((await a.oldestEnded(10)).map((c) => c.id)).toEqual([aEnded.id]);
      expect((await a.usage()).records).toBe(2);
      expect(await a.deleteEnded([aEnded.id, bEnded.id])).toEqual([aEnded.id]);
      expect(await b.get(bEnded.id)).toEqual(bEnded);
    });

    it('migrates once, even when servers start together; a newer schema is refused', async () => {
      const spec = schemas.spec();
      const schema = new URL(spec).searchParams.get('schema')!;
      const opened = await Promise.all(['/m/1', '/m/2', '/m/3'].map((dir) => openStore(spec, dir)));
      for (const s of opened) await s.close();
      const rows = await schemas.sql<{ version: number }>(`SELECT version FROM "${schema}".sidex_schema ORDER BY version`);
      expect(rows.map((r) => r.version)).toEqual(postgresMigrations.map((m) => m.version));
      await schemas.sql(`INSERT INTO "${schema}".sidex_schema (version, name, applied_at) VALUES (99, 'future', 0)`);
      const err = await errorOf(openStore(spec, '/m/1'));
      expect(err?.code).toBe('STORE_TOO_NEW');
      expect(err?.message).toContain('99');
    });

    it('records are kept by the server, not the connection: a new store sees them', async () => {
      const spec = schemas.spec();
      const first = await openStore(spec, '/data/k');
      const record = makeRecord();
      await first.insert(record);
      await first.close();
      const again = track(await openStore(spec, '/data/k'));
      expect(await again.get(record.id)).toEqual(record);
    });
  });

  describe('sidex on PostgreSQL', () => {
    const home = sidexHome();

    it('records executions there, keeps them across a restart, and recovers only its own', async () => {
      const spec = schemas.spec();
      const previous = await openStore(spec, home.dataDir);
      const lost = makeRecord({ status: 'running' });
      await previous.insert(lost);
      await previous.close();
      const neighbour = await openStore(spec, '/another/server');
      const theirs = makeRecord({ status: 'running' });
      await neighbour.insert(theirs);
      try {
        const sidex = await Sidex.open(home.options({ storeSpec: spec }));
        expect(sidex.recovery?.recovered).toEqual([lost.id]);
        expect((await sidex.engine.get(lost.id))?.stopReason).toBe('supervisor_lost');
        expect((await sidex.engine.get(theirs.id))?.status).toBe('running');
        const started = await sidex.sideExecution.startWithCode('console.log("from pg"); return 5');
        if (!started.success) throw new Error(started.error);
        await sidex.sideExecution.wait(started.sideExecutionId);
        await sidex.close();

        const again = await openSidex(home.options({ storeSpec: spec }));
        expect(again.recovery?.recovered).toEqual([]);
        const status = await again.sideExecution.getStatus(started.sideExecutionId);
        expect(status.success && [status.status, status.result, status.output]).toEqual(['completed', 5, 'from pg\n']);
        await again.close();
      } finally {
        await neighbour.close();
      }
    });

    it('sidex serve --store postgres://...: an execution started through the SDK is in the database, and another server reads it', async () => {
      const spec = schemas.spec();
      const first = await spawnServer({ args: ['--store', spec] });
      const second = await spawnServer({ args: ['--store', spec] });
      const clients = [first, second].map((s) => new SidexClient({ url: s.url, apiKey: s.apiKey }));
      try {
        const started = await clients[0]!.sideExecution.startWithCode('console.log("served from pg"); return 7');
        if (!started.success) throw new Error(started.error);
        await clients[0]!.wait(started.sideExecutionId);
        const schema = new URL(spec).searchParams.get('schema')!;
        const rows = await schemas.sql<{ status: string }>(`SELECT status FROM "${schema}".executions WHERE id = $1`, [started.sideExecutionId]);
        expect(rows).toEqual([{ status: 'completed' }]);
        // A second server on the same database (its own data directory) reads everyone's records.
        const seen = await clients[1]!.sideExecution.getStatus(started.sideExecutionId);
        expect(seen.success && [seen.status, seen.result, seen.output]).toEqual(['completed', 7, 'served from pg\n']);
      } finally {
        clients.forEach((c) => c.close());
        for (const server of [first, second]) {
          await stopAndRemove(server);
        }
      }
    });
  });
}
