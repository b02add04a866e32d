// The examples of seed 000, 001 and 003, each a program whose only
// change is its import line, run as child processes against the servers
// `servers()` names: one server (seeds.test.ts) or a cluster
// (cluster-seeds.test.ts). Their project holds writeTestBlocks' blocks.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProgram } from './helpers/run-program.js';
import type { SeedServers } from './helpers/seed-target.js';

const SEEDS = fileURLToPath(new URL('./seeds/', import.meta.url));

const runSeed = (servers: SeedServers, file: string) => runProgram(path.join(SEEDS, file), { SIDEX_URL: servers.program.url, SIDEX_API_KEY: servers.program.apiKey });

export function codeboltSeedSuite(servers: () => SeedServers): void {
  describe('seed programs run unchanged but for their import', () => {
    it('003 quick start', async () => {
      const { code, stdout, stderr } = await runSeed(servers(), 'quick-start.mjs');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain("name: 'worker'");
      expect(stdout).toMatch(/Started execution: side_\d+_[0-9a-f]{8}/);
      expect(stdout).toContain('Execution status: running');
    });

    it('example 1, verbatim: its inline code does not compile; the program still runs to its end', async () => {
      const { code, stdout } = await runSeed(servers(), 'example-1-stop-running.mjs');
      expect(code).toBe(0);
      expect(stdout).toContain('Status: undefined');
    });

    it('example 1, typo fixed: stops a running execution', async () => {
      const { code, stdout } = await runSeed(servers(), 'example-1-stop-running-fixed.mjs');
      expect(code).toBe(0);
      expect(stdout).toMatch(/Execution stopped: side_\d+_[0-9a-f]{8}/);
      expect(stdout).toContain('Status: stopped');
    });

    it('example 2: stops five executions at once', async () => {
      const { code, stdout } = await runSeed(servers(), 'example-2-stop-multiple.mjs');
      expect(code).toBe(0);
      expect(stdout).toContain('Started 5 executions');
      for (let i = 1; i <= 5; i++) expect(stdout).toContain(`Execution ${i}: stopped`);
    });

    it('example 3: a monitor stops it at its own timeout', async () => {
      const { code, stdout } = await runSeed(servers(), 'example-3-conditional-stopping.mjs');
      expect(code).toBe(0);
      expect(stdout).toContain('Running... (0s elapsed)');
      expect(stdout).toContain('Timeout reached, stopping execution...');
      expect(stdout).toContain('Execution stopped due to timeout');
    });

    it('example 4: stop with cleanup reports stoppedAt', async () => {
      const { code, stdout } = await runSeed(servers(), 'example-4-stop-with-cleanup.mjs');
      expect(code).toBe(0);
      expect(stdout).toContain('Execution stopped successfully');
      expect(stdout).toMatch(/Stopped at: \d{13}/);
    });

    it("example 4: its finally block runs at the stop: 'Cleaning up resources...' is in the stopped execution's output", async () => {
      const { code } = await runSeed(servers(), 'example-4-stop-with-cleanup.mjs');
      expect(code).toBe(0);
      const listed = (await (await fetch(`${servers().check.url}/v1/executions?limit=1`, { headers: { authorization: `Bearer ${servers().check.apiKey}` } })).json()) as { executions: Array<{ status: string; output: string }> };
      expect(listed.executions[0]).toMatchObject({ status: 'stopped', output: 'Cleaning up resources...\n' });
    });

    it('example 5: the stop reply carries the partial output', async () => {
      const { code, stdout } = await runSeed(servers(), 'example-5-partial-results.mjs');
      expect(code).toBe(0);
      expect(stdout).toContain('Partial output captured:');
      expect(stdout).toContain('Processed 1/100');
      expect(stdout).not.toContain('Processed 100/100');
    });

    it('example 6: unknown ids are reported, not thrown', async () => {
      const { code, stdout } = await runSeed(servers(), 'example-6-batch-stop.mjs');
      expect(code).toBe(0);
      expect(stdout).toContain('Unexpected status for id1: undefined');
      expect(stdout).toContain('Failed: 5');
    });

    it('use case 1: timeout enforcement', async () => {
      const { code, stdout } = await runSeed(servers(), 'use-case-1-timeout-enforcement.mjs');
      expect(code).toBe(0);
      expect(stdout).toMatch(/finished: completed \{"ticks":\d+\}/);
      expect(stdout).toMatch(/limited: (stopping|stopped|timeout)/);
    });

    it('use case 2: user cancellation', async () => {
      const { code, stdout } = await runSeed(servers(), 'use-case-2-user-cancellation.mjs');
      expect(code).toBe(0);
      expect(stdout).toContain('Cancelling execution...');
      expect(stdout).toMatch(/ended as: (stopping|stopped)/);
    });

    it('use case 3: resource cleanup after a natural end', async () => {
      const { code, stdout } = await runSeed(servers(), 'use-case-3-resource-cleanup.mjs');
      expect(code).toBe(0);
      expect(stdout).toContain('ended as: completed {"quick":true,"params":{}}');
    });

    it('use case 4: a memory condition stops it', async () => {
      const { code, stdout } = await runSeed(servers(), 'use-case-4-conditional-stopping.mjs');
      expect(code).toBe(0);
      expect(stdout).toContain('Condition met, stopping execution...');
    });

    it('use case 5: emergency stop of every running execution', async () => {
      const { code, stdout } = await runSeed(servers(), 'use-case-5-emergency-stop.mjs');
      expect(code).toBe(0);
      const terminating = Number(/terminating (\d+) executions/.exec(stdout)?.[1]);
      expect(terminating).toBeGreaterThanOrEqual(3);
      expect(stdout).toContain(`Stopped: ${terminating}, Failed: 0`);
      expect(stdout).toContain('running after: 0');
    });
  });
}
