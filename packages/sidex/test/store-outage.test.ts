import { describe, expect, it } from 'vitest';
import { openStore } from '../dist/index.js';
import { openSidex, sidexHome } from './fixtures/open-sidex.js';
import { startReady } from './helpers/ready.js';
import { survivors } from './helpers/sidex.js';

describe('the store fails while executions run', () => {
  it('the engine goes on: stops still work, waits still end, the failure is reported, new starts are refused', async () => {
    const home = sidexHome();
    const store = await openStore(undefined, home.dataDir);
    const sidex = await openSidex(home.options({ store }));
    const errors: string[] = [];
    sidex.engine.on('storeError', (e) => errors.push(e.error.message));
    const id = await startReady(sidex, 'ctx.onStop(() => "partial"); console.log("ready"); await new Promise(() => {});');
    const marker = (await sidex.engine.get(id))?.marker;

    await store.close(); // a real outage: the database handle is gone

    const stopped = await sidex.sideExecution.stop(id);
    expect(stopped.success && stopped.status).toBe('stopped');
    expect(stopped.success && stopped.result).toBe('partial');
    expect(survivors(marker)).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);

    const refused = await sidex.sideExecution.startWithCode('return 1');
    expect(refused.success).toBe(false);
    expect(!refused.success && refused.code).toMatch(/^STORE_/);
    expect(sidex.engine.runningCount).toBe(0);
  });
});
