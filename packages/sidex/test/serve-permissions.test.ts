// `sidex serve --permissions` (or SIDEX_PERMISSIONS=true) runs executions under
// Node's permission model: one execution cannot read another's scratch
// directory; without it, it can.
import { SidexClient } from '@sidex/client';
import { afterAll, describe, expect, it } from 'vitest';
import { stealFromScratch } from './helpers/scratch-theft.js';
import { startTestServer } from './helpers/server.js';

const clients: SidexClient[] = [];
afterAll(() => clients.forEach((c) => c.close()));

async function steal(args: string[], env: Record<string, string> = {}): Promise<unknown> {
  const server = await startTestServer({ args, env });
  const client = new SidexClient({ url: server.url, apiKey: server.apiKey });
  clients.push(client);
  return stealFromScratch(client);
}

describe('sidex serve --permissions', () => {
  it("with the flag, an execution cannot read another's scratch directory", async () => {
    expect(await steal(['--permissions'])).toBe('ERR_ACCESS_DENIED');
  });

  it('SIDEX_PERMISSIONS=true does the same', async () => {
    expect(await steal([], { SIDEX_PERMISSIONS: 'true' })).toBe('ERR_ACCESS_DENIED');
  });

  it('without it, the permission model is off (the file can be read)', async () => {
    expect(await steal([])).toBe('owner only');
  });
});
