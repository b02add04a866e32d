// `sidex serve --permissions` (or SIDEX_PERMISSIONS=true) runs executions under
// Node's permission model: one execution cannot read another's scratch
// directory; without it, it can.
import { SidexClient } from '@sidex/client';
import { afterAll, describe, expect, it } from 'vitest';
import { stealFromScratch } from './helpers/scratch-theft.js';
import { startTestServer } from './helpers/server.js';

// Started at collection, so that startTestServer's afterAll stops them.
// The third runs without sandboxes: in one, another execution's scratch directory does not even exist (sandbox-attacks.test.ts).
const servers = await Promise.all([startTestServer({ args: ['--permissions'] }), startTestServer({ env: { SIDEX_PERMISSIONS: 'true' } }), startTestServer({ args: ['--isolation', 'process'] })]);
const clients = servers.map((server) => new SidexClient({ url: server.url, apiKey: server.apiKey }));
afterAll(() => clients.forEach((c) => c.close()));

describe('sidex serve --permissions', () => {
  it("with the flag, an execution cannot read another's scratch directory", async () => {
    expect(await stealFromScratch(clients[0]!)).toBe('ERR_ACCESS_DENIED');
  });

  it('SIDEX_PERMISSIONS=true does the same', async () => {
    expect(await stealFromScratch(clients[1]!)).toBe('ERR_ACCESS_DENIED');
  });

  it('without it, the permission model is off (the file can be read)', async () => {
    expect(await stealFromScratch(clients[2]!)).toBe('owner only');
  });
});
