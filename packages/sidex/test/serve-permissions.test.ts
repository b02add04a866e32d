// `sidex serve --permissions` (or SIDEX_PERMISSIONS=true) runs executions under
// Node's permission model: one execution cannot read another's scratch
// directory; without it, it can.
import { SidexClient } from '@sidex/client';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from './helpers/server.js';

const clients: SidexClient[] = [];
afterAll(() => clients.forEach((c) => c.close()));

/** Starts an owner that writes a file in its scratch directory, then a thief that reads it; answers what the thief got. */
async function steal(args: string[], env: Record<string, string> = {}): Promise<unknown> {
  const server = await startTestServer({ args, env });
  const client = new SidexClient({ url: server.url, apiKey: server.apiKey });
  clients.push(client);
  const owner = await client.sideExecution.startWithCode(`
    require('node:fs').writeFileSync('secret.txt', 'owner only');
    console.log(process.cwd());
    await new Promise(() => {});`);
  if (!owner.success) throw new Error(owner.error);
  let dir = '';
  for (let i = 0; i < 200 && !dir; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const status = await client.sideExecution.getStatus(owner.sideExecutionId);
    dir = status.success ? status.output.trim() : '';
  }
  const thief = await client.sideExecution.startWithCode('try { return require("node:fs").readFileSync(file, "utf8"); } catch (e) { return e.code; }', { file: `${dir}/secret.txt` });
  if (!thief.success) throw new Error(thief.error);
  const done = await client.wait(thief.sideExecutionId);
  await client.sideExecution.stop(owner.sideExecutionId, { graceMs: 500 });
  return done.success ? done.data.result : done.error;
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
