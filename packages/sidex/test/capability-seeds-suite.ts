// The examples of seed 002 (the Codebolt `capability.stopCapability`
// page), examples 1–3 and its common use cases (clean cancellation, batch
// cancellation): the programs the client's tests run over a server, run here
// in this process against `target()`: the in-process CapabilityService
// (capability-seeds.test.ts) or a cluster's servers through the SDK
// (cluster-seeds.test.ts), where what an execution leaves behind can be
// checked. The examples stop an execution "later": here a start answers once
// its skill is ready.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runSeedInProcess, type SeedRun } from './helpers/seed-program.js';
import { eventually, survivors } from './helpers/sidex.js';

const SEEDS = fileURLToPath(new URL('../../client/test/seeds/capability/', import.meta.url));

type Reply = { success: boolean; [field: string]: any };

export interface CapabilitySeedTarget {
  /** What the programs hold as `codebolt.capability`. */
  capability: {
    getExecutionStatus(id: string): Promise<Reply & { data: Record<string, any> }>;
    getActiveExecutions(): Promise<Reply>;
  };
  /** Whether the execution has printed 'ready' (or ended). */
  isReady(id: string): Promise<boolean>;
  /** The tree marker of an execution's processes. */
  markerOf(id: string): Promise<string | undefined>;
}

export function capabilitySeedSuite(target: () => CapabilitySeedTarget): void {
  const runSeed = (file: string) =>
    runSeedInProcess(path.join(SEEDS, file), { capability: target().capability }, async (method, reply) => {
      if (method === 'startSkill' && reply.success) expect(await eventually(() => target().isReady(reply.executionId))).toBe(true);
    });

  /** The ids of the executions of `skill` the program started, in order. */
  const started = (run: SeedRun, skill: string): string[] =>
    run.calls.filter((c) => c.method === 'capability.startSkill' && c.args[0] === skill).map((c) => c.reply.executionId);
  const stops = (run: SeedRun) => run.calls.filter((c) => c.method === 'capability.stopCapability').map((c) => c.reply);
  const statusOf = async (id: string) => (await target().capability.getExecutionStatus(id)).data;

  describe('seed 002: stopCapability', () => {
    afterEach(async () => {
      const active = await target().capability.getActiveExecutions();
      expect(active.success && active.executions).toEqual([]);
    });

    describe('seed 002: stopCapability — examples', () => {
      it('Example 1: stop a running execution', async () => {
        const run = await runSeed('example-1-stop-running.mjs');
        expect(run.stderr).toEqual([]);
        expect(run.stdout).toEqual(['Execution stopped successfully']);
        const [id] = started(run, 'long-running-task');
        const [stop] = stops(run);
        expect(stop.type).toBe('stopCapabilityResponse');
        expect(stop).toMatchObject({ executionId: id, status: 'stopped' });
        expect(survivors(await target().markerOf(id!))).toEqual([]);
      });

      it('Example 2: stop with timeout — completed and failed end the loop; the timeout stops the long one', async () => {
        const run = await runSeed('example-2-stop-with-timeout.mjs');
        expect(run.stderr).toEqual([]);
        expect(run.exitCode).toBe(0);
        // One timeout strikes, the long one's: the others were cleared.
        expect(run.stdout).toEqual([
          'Finished: completed {"done":true,"params":{"delayMs":100,"fail":false}}',
          'Finished: failed quick-task was asked to fail',
          'Timeout reached, stopping execution...',
          'Stopped by the timeout: stopped',
        ]);
        const [done, failed] = started(run, 'quick-task');
        expect(await statusOf(done!)).toMatchObject({ status: 'completed', capabilityName: 'quick-task', result: { done: true, params: { delayMs: 100, fail: false } } });
        expect(await statusOf(failed!)).toMatchObject({ status: 'failed', error: 'quick-task was asked to fail' });
        const [long] = started(run, 'long-running-task');
        expect(await statusOf(long!)).toMatchObject({ status: 'stopped', result: { from: 0 } });
      });

      it('Example 3: user-initiated cancellation', async () => {
        const run = await runSeed('example-3-user-cancellation.mjs');
        expect(run.stderr).toEqual([]);
        // The second click printed and stopped nothing.
        expect(run.stdout).toEqual(['Cancelled: true']);
        expect(stops(run)).toHaveLength(1);
        const [id] = started(run, 'interactive-task');
        expect(await statusOf(id!)).toMatchObject({ status: 'stopped', result: { cancelled: true } });
      });
    });

    describe('seed 002: stopCapability — common use cases', () => {
      it('Clean cancellation', async () => {
        const run = await runSeed('use-case-clean-cancellation.mjs');
        expect(run.stderr).toEqual([]);
        // An execution that already completed is not stopped "cleanly": it had finished.
        expect(run.stdout).toEqual(['Execution stopped cleanly']);
        const [id] = started(run, 'long-running-task');
        expect((await statusOf(id!)).status).toBe('stopped');
        expect(survivors(await target().markerOf(id!))).toEqual([]);
        const [quick] = started(run, 'quick-task');
        expect((await statusOf(quick!)).status).toBe('completed');
      });

      it('Batch cancellation', async () => {
        const run = await runSeed('use-case-batch-cancellation.mjs');
        expect(run.stderr).toEqual([]);
        expect(run.stdout).toEqual([
          'Execution 0 stopped: true',
          'Execution 1 stopped: true',
          'Execution 2 stopped: true',
          'Execution 3 stopped: false',
          'Execution 4 stopped: false',
        ]);
        const ids = started(run, 'long-running-task');
        expect(ids).toHaveLength(3);
        for (const id of ids) expect((await statusOf(id)).status).toBe('stopped');
        for (const id of ids) expect(survivors(await target().markerOf(id))).toEqual([]);
      });
    });
  });
}
