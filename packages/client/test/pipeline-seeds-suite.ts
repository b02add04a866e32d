// The examples of seed 004 (RocketRide's terminate page), each a
// program whose only change is its import line, run as child processes
// against the servers `servers()` names (one server, or a cluster). Like
// RocketRide's client, they find the server and the key in ROCKETRIDE_URI and
// ROCKETRIDE_APIKEY.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProgram } from './helpers/run-program.js';
import type { SeedServers } from './helpers/seed-target.js';

const SEEDS = fileURLToPath(new URL('./seeds/rocketride/', import.meta.url));

const runSeed = (servers: SeedServers, file: string) => runProgram(path.join(SEEDS, file), { ROCKETRIDE_URI: servers.program.url, ROCKETRIDE_APIKEY: servers.program.apiKey }, SEEDS);

export function pipelineSeedSuite(servers: () => SeedServers): void {
  describe('seed 004 programs run unchanged but for their import', () => {
    it('Basic Termination', async () => {
      const { code, stdout, stderr } = await runSeed(servers(), 'basic-termination.mjs');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe('Pipeline terminated successfully\n');
    });

    it('Terminate with Error Handling: success, then the errors of a pipeline already terminated and of an invalid token', async () => {
      const { code, stdout, stderr } = await runSeed(servers(), 'termination-with-error-handling.mjs');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const lines = stdout.split('\n');
      expect(lines[0]).toBe('Pipeline terminated successfully');
      expect(lines[1]).toMatch(/^Failed to terminate pipeline: token: the pipeline of task "tk_[\w-]+" is not running: it has already ended \(Stopped: terminated/);
      expect(lines.slice(2)).toEqual(['Failed to terminate pipeline: no task with token "tk_not_a_task"', '']);
    });

    it('Terminate After Monitoring: still running, so terminated; the item in progress completes', async () => {
      const { code, stdout, stderr } = await runSeed(servers(), 'terminate-after-monitoring.mjs');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe('Pipeline was still running — terminated\nitem: ["a long item\\n\\n"]\nfinal: Stopped, 1 completed\n');
    });

    it('nothing is left running', async () => {
      const res = await fetch(`${servers().check.url}/v1/executions?type=task&status=running,starting,stopping`, { headers: { authorization: `Bearer ${servers().check.apiKey}` } });
      expect(((await res.json()) as { executions: unknown[] }).executions).toEqual([]);
    });
  });
}
