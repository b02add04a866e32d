// The examples of seed 002 (capability.stopCapability), each a program
// whose only change is its import line, run as child processes against the
// servers `servers()` names (one server, or a cluster), whose project holds
// the capabilities they name (copyCatalogProject).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SidexClient } from '../dist/index.js';
import { runProgram } from './helpers/run-program.js';
import type { SeedServers } from './helpers/seed-target.js';

const SEEDS = fileURLToPath(new URL('./seeds/capability/', import.meta.url));

const runSeed = (servers: SeedServers, file: string) => runProgram(path.join(SEEDS, file), { SIDEX_URL: servers.program.url, SIDEX_API_KEY: servers.program.apiKey });

export function capabilitySeedSuite(servers: () => SeedServers): void {
  describe('seed 002 programs run unchanged but for their import', () => {
    // The checks ask the `check` server.
    let sdk: SidexClient;
    beforeAll(() => {
      sdk = new SidexClient({ url: servers().check.url, apiKey: servers().check.apiKey });
    });
    afterAll(() => sdk.close());

    /** The capability executions of the server, newest first. */
    async function executions(name: string) {
      const page = await sdk.sideExecution.list({ type: 'cap', name, limit: 1000 });
      if (!page.success) throw new Error(page.error);
      return page.executions;
    }

    // Every program leaves nothing running behind it.
    afterEach(async () => {
      const active = await sdk.capability.getActiveExecutions();
      expect(active.success && active.executions).toEqual([]);
    });

    it('example 1: stop a running execution', async () => {
      const { code, stdout, stderr } = await runSeed(servers(), 'example-1-stop-running.mjs');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe('Execution stopped successfully\n');
      expect((await executions('long-running-task'))[0]!.status).toBe('stopped');
    });

    it('example 2: stop with timeout — completed and failed end the loop; the timeout stops the long one', async () => {
      const { code, stdout, stderr } = await runSeed(servers(), 'example-2-stop-with-timeout.mjs');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout.split('\n')).toEqual([
        'Finished: completed {"done":true,"params":{"delayMs":100,"fail":false}}',
        'Finished: failed quick-task was asked to fail',
        'Timeout reached, stopping execution...',
        'Stopped by the timeout: stopped',
        '',
      ]);
    });

    it('example 3: user-initiated cancellation', async () => {
      const { code, stdout, stderr } = await runSeed(servers(), 'example-3-user-cancellation.mjs');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe('Cancelled: true\n');
      expect((await executions('interactive-task'))[0]!.status).toBe('stopped');
    });

    it('clean cancellation: a running execution stops cleanly; a completed one is not stopped', async () => {
      const { code, stdout, stderr } = await runSeed(servers(), 'use-case-clean-cancellation.mjs');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe('Execution stopped cleanly\n');
    });

    it('batch cancellation: three running ones stop; a completed one and an unknown id do not', async () => {
      const before = (await executions('long-running-task')).length;
      const { code, stdout, stderr } = await runSeed(servers(), 'use-case-batch-cancellation.mjs');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout.split('\n')).toEqual([
        'Execution 0 stopped: true',
        'Execution 1 stopped: true',
        'Execution 2 stopped: true',
        'Execution 3 stopped: false',
        'Execution 4 stopped: false',
        '',
      ]);
      const batch = (await executions('long-running-task')).slice(0, 3);
      expect((await executions('long-running-task')).length).toBe(before + 3);
      expect(batch.map((e) => e.status)).toEqual(['stopped', 'stopped', 'stopped']);
    });
  });
}
