// Choosing a store: the spec, the defaults, and bad configuration refused
// before anything is created.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore, openStore, Sidex, SQLITE_FILE } from '../dist/index.js';
import { sidexHome } from './fixtures/open-sidex.js';

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as { code?: string; message?: string },
  );

describe('opening a store', () => {
  const home = sidexHome();

  it.each(['mysql://localhost/x', '', 'sqlite', 'memory', 'redis://x', 'postgres:/missing-slashes', ' postgres://x/y'])(
    'a spec it does not know (%j): INVALID_CONFIG naming it and the choices, nothing created',
    async (spec) => {
      const dataDir = path.join(home.root, 'never-created');
      const err = await errorOf(openStore(spec, dataDir));
      expect(err?.code).toBe('INVALID_CONFIG');
      expect(err?.message).toContain(`"${spec}"`);
      expect(err?.message).toContain('postgres://');
      expect(fs.existsSync(dataDir)).toBe(false);
    },
  );

  it('memory: keeps nothing on disk', async () => {
    const dataDir = path.join(home.root, 'mem');
    const store = await openStore('memory:', dataDir);
    expect(store).toBeInstanceOf(MemoryStore);
    expect(fs.existsSync(dataDir)).toBe(false);
    await store.close();
  });

  it('Sidex.open without a spec uses SQLite in the data directory', async () => {
    const sidex = await Sidex.open(home.options());
    try {
      const started = await sidex.sideExecution.startWithCode('return 1');
      if (!started.success) throw new Error(started.error);
      await sidex.sideExecution.wait(started.sideExecutionId);
    } finally {
      await sidex.close();
    }
    expect(fs.statSync(path.join(home.dataDir, SQLITE_FILE)).size).toBeGreaterThan(0);
  });

  it('Sidex.open with bad retention refuses before opening anything', async () => {
    const dataDir = path.join(home.root, 'bad-retention');
    for (const retention of [{ maxExecutions: -1 }, { maxAgeDays: Number.NaN }, { maxLogMb: '5' }, { intervalMs: 0 }, { batchSize: 1.5 }]) {
      const err = await errorOf(Sidex.open(home.options({ dataDir, retention: retention as never })));
      expect(err?.code, JSON.stringify(retention)).toBe('INVALID_CONFIG');
      expect(err?.message).toMatch(/^retention\.\w+: /);
    }
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('Sidex.open with a bad store spec refuses before creating anything', async () => {
    const dataDir = path.join(home.root, 'bad-spec');
    const err = await errorOf(Sidex.open(home.options({ dataDir, storeSpec: 'nonsense' })));
    expect(err?.code).toBe('INVALID_CONFIG');
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('new Sidex cannot open a store spec (that needs await): INVALID_CONFIG', () => {
    expect(() => new Sidex(home.options({ storeSpec: 'sqlite:' }))).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});
