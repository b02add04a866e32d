// The examples of seed 001 (the Codebolt `sideExecution.stop` page),
// examples 1–6 and common use cases 1–5, and seed 003's quick start, run
// against `target()`: the in-process API (seeds-side-execution.test.ts) or a
// cluster's servers through the SDK (cluster-seeds.test.ts). The example code
// is kept as written; only sleeps are shortened so the suite stays fast, and
// Example 1's template literal (mangled by the doc's escaping) is repaired.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, survivors } from './helpers/sidex.js';

/** A Codebolt reply, as both the in-process API and the SDK give it. */
type Reply = { success: boolean; data: Record<string, any>; [field: string]: any };
type Page = { success: true; executions: Array<{ sideExecutionId: string }> } | { success: false; error: string };

export interface SideExecutionSeedTarget {
  /** Its project holds writeSeedBlocks' blocks. */
  projectDir: string;
  /** What a Codebolt program holds as `codebolt.sideExecution`. */
  sideExecution: {
    startWithCode(code: string, params?: Record<string, unknown>, timeout?: number): Promise<Reply>;
    startWithActionBlock(path: string, params?: Record<string, unknown>, timeout?: number): Promise<Reply>;
    stop(id: string): Promise<Reply>;
    getStatus(id: string): Promise<Reply>;
    listActionBlocks(): Promise<Reply>;
  };
  /** The checks' own calls (sidex extensions). */
  wait(id: string): Promise<Reply>;
  list(filter: { status: string | string[]; limit?: number }): Promise<Page>;
  /** The tree marker of an execution's processes. */
  markerOf(id: string): Promise<string | undefined>;
}

function writeBlock(projectDir: string, name: string, body: string): void {
  const dir = path.join(projectDir, '.codebolt', 'actionblocks', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'actionblock.yml'), `name: ${name}\ndescription: ${name} fixture\nversion: 1.0.0\nentryPoint: index.js\n`);
  fs.writeFileSync(path.join(dir, 'index.js'), body);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, type: 'module' }));
}

/** The blocks the use cases run. */
export function writeSeedBlocks(projectDir: string): void {
  writeBlock(projectDir, 'long-task', `export default async (params, ctx) => {
  for (let i = 0; !ctx.signal.aborted; i++) { console.log('step ' + i); await new Promise((r) => setTimeout(r, 50)); }
  return { aborted: true };
};`);
  writeBlock(projectDir, 'quick-task', 'export default async (params) => ({ done: true, params });');
  writeBlock(projectDir, 'memory-hungry', `export default async () => {
  const hold = [];
  for (;;) { hold.push(Buffer.alloc(8 * 1024 * 1024, 1)); await new Promise((r) => setTimeout(r, 30)); }
};`);
}

export function sideExecutionSeedSuite(target: () => SideExecutionSeedTarget): void {
  // What a Codebolt program holds: `codebolt.sideExecution.*` and `codebolt.waitForConnection()`.
  const codebolt = {
    waitForConnection: async () => {},
    waitForReady: async () => {},
    get sideExecution() {
      return target().sideExecution;
    },
  };
  const block = (name: string) => path.join(target().projectDir, '.codebolt', 'actionblocks', name);

  describe('seeds 001 and 003: Codebolt side execution', () => {
    // Every example's stops must leave no process behind: checked after each one,
    // for every execution that has ended.
    afterEach(async () => {
      const page = await target().list({ status: ['completed', 'failed', 'stopped', 'timeout'], limit: 1000 });
      if (!page.success) throw new Error(page.error);
      for (const e of page.executions) expect(survivors(await target().markerOf(e.sideExecutionId)), e.sideExecutionId).toEqual([]);
    });

    describe('seed 001: stop — examples', () => {
      it('Example 1: stop a running execution', async () => {
        await codebolt.waitForConnection();
        const started = await codebolt.sideExecution.startWithCode(`
          for (let i = 0; i < 100; i++) {
            console.log(\`Processing item \${i}...\`);
            await new Promise(resolve => setTimeout(resolve, 100));
          }
          return { completed: true };
        `);
        const executionId = started.data.sideExecutionId as string;
        const printed = async () => String((await codebolt.sideExecution.getStatus(executionId)).data.output).includes('Processing item 0...');
        expect(await eventually(printed)).toBe(true);
        const result = await codebolt.sideExecution.stop(executionId);
        expect(result.data.sideExecutionId).toBe(executionId);
        expect(result.data.status).toBe('stopped');
        expect(result.data.output).toContain('Processing item 0...');
        expect(survivors(await target().markerOf(executionId))).toEqual([]);
      });

      it('Example 2: stop multiple executions', async () => {
        const executionIds: string[] = [];
        for (let i = 0; i < 5; i++) {
          const result = await codebolt.sideExecution.startWithCode(`
            await new Promise(resolve => setTimeout(resolve, 30000));
            return { done: true };
          `);
          executionIds.push(result.data.sideExecutionId as string);
        }
        expect(executionIds).toHaveLength(5);
        const stopResults = await Promise.all(executionIds.map((id) => codebolt.sideExecution.stop(id)));
        expect(stopResults.map((r) => r.data.status)).toEqual(['stopped', 'stopped', 'stopped', 'stopped', 'stopped']);
      });

      it('Example 3: conditional stopping by a monitor', async () => {
        const log: string[] = [];
        async function executeWithTimeout(executionId: string, timeoutMs: number) {
          const startTime = Date.now();
          await new Promise<void>((done) => {
            const monitor = setInterval(async () => {
              const elapsed = Date.now() - startTime;
              if (elapsed > timeoutMs) {
                clearInterval(monitor);
                log.push('Timeout reached, stopping execution...');
                await codebolt.sideExecution.stop(executionId);
                log.push('Execution stopped due to timeout');
                return done();
              }
              const status = await codebolt.sideExecution.getStatus(executionId);
              if (status.data.status === 'completed' || status.data.status === 'failed') {
                clearInterval(monitor);
                log.push('Execution finished naturally');
                return done();
              }
              log.push(`Running... (${Math.floor(elapsed / 1000)}s elapsed)`);
            }, 100);
          });
        }
        const execution = await codebolt.sideExecution.startWithCode(`
          await new Promise(resolve => setTimeout(resolve, 60000));
          return { done: true };
        `);
        await executeWithTimeout(execution.data.sideExecutionId as string, 500);
        expect(log).toContain('Execution stopped due to timeout');
        const status = await codebolt.sideExecution.getStatus(execution.data.sideExecutionId);
        expect(status.data.status).toBe('stopped');
      });

      it('Example 4: stop with cleanup', async () => {
        const execution = await codebolt.sideExecution.startWithCode(`
          const resources = ['resource1', 'resource2', 'resource3'];
          try {
            await new Promise(resolve => setTimeout(resolve, 30000));
            return { success: true };
          } finally {
            console.log('Cleaning up resources...');
          }
        `);
        const executionId = execution.data.sideExecutionId as string;
        async function stopWithCleanup(id: string) {
          const result = await codebolt.sideExecution.stop(id);
          return result;
        }
        const result = await stopWithCleanup(executionId);
        expect(result.success).toBe(true);
        expect(typeof result.data.stoppedAt).toBe('number');
        expect(result.data.stoppedAt).toBeLessThanOrEqual(Date.now());
      });

      it('Example 5: stop and get partial results', async () => {
        const execution = await codebolt.sideExecution.startWithCode(`
          const results = [];
          for (let i = 0; i < 100; i++) {
            results.push({ index: i, value: i * i });
            console.log(\`Processed \${i + 1}/100\`);
            await new Promise(resolve => setTimeout(resolve, 50));
          }
          return { results };
        `);
        const executionId = execution.data.sideExecutionId as string;
        const printed = async () => String((await codebolt.sideExecution.getStatus(executionId)).data.output).includes('Processed 1/100');
        expect(await eventually(printed)).toBe(true);
        const stopResult = await codebolt.sideExecution.stop(executionId);
        expect(stopResult.data.output).toContain('Processed 1/100');
        expect(stopResult.data.output).not.toContain('Processed 100/100');
      });

      it('Example 5, with a checkpoint: the partial results come back', async () => {
        const execution = await codebolt.sideExecution.startWithCode(`
          const results = [];
          for (let i = 0; i < 100; i++) {
            results.push({ index: i, value: i * i });
            ctx.checkpoint({ results });
            await new Promise(resolve => setTimeout(resolve, 50));
          }
          return { results };
        `);
        // Three checkpoints in, however slowly this machine runs it.
        const checkpointed = async () => {
          const status = await codebolt.sideExecution.getStatus(execution.data.sideExecutionId);
          return ((status.data.checkpoint as { results?: unknown[] } | undefined)?.results?.length ?? 0) >= 3;
        };
        expect(await eventually(checkpointed)).toBe(true);
        const stopResult = await codebolt.sideExecution.stop(execution.data.sideExecutionId);
        const partial = stopResult.data.result as { results: Array<{ index: number; value: number }> };
        expect(partial.results.length).toBeGreaterThan(0);
        expect(partial.results[2]).toEqual({ index: 2, value: 4 });
      });

      it('Example 6: batch stop with error handling', async () => {
        async function batchStop(executionIds: string[]) {
          const results = { stopped: [] as string[], failed: [] as unknown[], alreadyStopped: [] as string[] };
          for (const id of executionIds) {
            try {
              const result = await codebolt.sideExecution.stop(id);
              if (result.data.status === 'stopped') results.stopped.push(id);
              else if (result.data.status === 'already_stopped') results.alreadyStopped.push(id);
              else results.failed.push({ id, reason: result.data.status });
            } catch (error) {
              results.failed.push({ id, error: (error as Error).message });
            }
          }
          return results;
        }
        const running = await codebolt.sideExecution.startWithCode('await new Promise(r => setTimeout(r, 30000));');
        const stoppedBefore = await codebolt.sideExecution.startWithCode('await new Promise(r => setTimeout(r, 30000));');
        await codebolt.sideExecution.stop(stoppedBefore.data.sideExecutionId);
        const results = await batchStop([running.data.sideExecutionId as string, stoppedBefore.data.sideExecutionId as string, 'id1', 'id2']);
        expect(results.stopped).toEqual([running.data.sideExecutionId]);
        expect(results.alreadyStopped).toEqual([stoppedBefore.data.sideExecutionId]);
        expect(results.failed).toEqual([
          { id: 'id1', reason: undefined },
          { id: 'id2', reason: undefined },
        ]);
      });
    });

    describe('seed 001: stop — common use cases', () => {
      it('1. timeout enforcement', async () => {
        async function executeWithTimeout(actionBlockPath: string, params: Record<string, unknown>, timeoutMs: number) {
          const result = await codebolt.sideExecution.startWithActionBlock(actionBlockPath, params, timeoutMs);
          const executionId = result.data.sideExecutionId as string;
          const timeoutHandle = setTimeout(async () => {
            await codebolt.sideExecution.stop(executionId);
          }, timeoutMs);
          let status;
          do {
            await new Promise((resolve) => setTimeout(resolve, 50));
            status = await codebolt.sideExecution.getStatus(executionId);
          } while (status.data.status === 'running');
          clearTimeout(timeoutHandle);
          return status.data;
        }
        const data = await executeWithTimeout(block('long-task'), { job: 1 }, 300);
        expect(['timeout', 'stopping', 'stopped']).toContain(data.status);
        const final = await target().wait(data.sideExecutionId);
        expect(['timeout', 'stopped']).toContain(final.data.status);
        expect(survivors(await target().markerOf(data.sideExecutionId as string))).toEqual([]);
      });

      it('2. user cancellation', async () => {
        async function cancellableExecution(actionBlockPath: string, onCancel: (handler: () => void) => void) {
          const result = await codebolt.sideExecution.startWithActionBlock(actionBlockPath);
          const executionId = result.data.sideExecutionId as string;
          const cancelHandler = () => {
            void codebolt.sideExecution.stop(executionId);
          };
          onCancel(cancelHandler);
          let status = await codebolt.sideExecution.getStatus(executionId);
          while (status.data.status === 'running') {
            await new Promise((resolve) => setTimeout(resolve, 50));
            status = await codebolt.sideExecution.getStatus(executionId);
          }
          return status.data;
        }
        const data = await cancellableExecution(block('long-task'), (handler) => setTimeout(handler, 200));
        const final = await target().wait(data.sideExecutionId);
        expect(final.data.status).toBe('stopped');
        expect(final.data.result).toEqual({ aborted: true });
      });

      it('3. resource cleanup', async () => {
        async function executeWithAutoCleanup(actionBlockPath: string) {
          const execution = await codebolt.sideExecution.startWithActionBlock(actionBlockPath);
          const executionId = execution.data.sideExecutionId as string;
          try {
            let status = await codebolt.sideExecution.getStatus(executionId);
            while (status.data.status === 'running') {
              await new Promise((resolve) => setTimeout(resolve, 50));
              status = await codebolt.sideExecution.getStatus(executionId);
            }
            return status.data;
          } finally {
            const finalStatus = await codebolt.sideExecution.getStatus(executionId);
            if (finalStatus.data.status === 'running') await codebolt.sideExecution.stop(executionId);
          }
        }
        const data = await executeWithAutoCleanup(block('quick-task'));
        expect(data.status).toBe('completed');
        expect(data.result).toEqual({ done: true, params: {} });
      });

      it('4. conditional stopping on memory usage', async () => {
        async function executeWithCondition(actionBlockPath: string, condition: (s: { memoryUsage: number }) => Promise<boolean>) {
          const execution = await codebolt.sideExecution.startWithActionBlock(actionBlockPath);
          const executionId = execution.data.sideExecutionId as string;
          const monitor = setInterval(async () => {
            const status = await codebolt.sideExecution.getStatus(executionId);
            if (await condition(status.data as { memoryUsage: number })) {
              clearInterval(monitor);
              await codebolt.sideExecution.stop(executionId);
            }
            if (status.data.status !== 'running') clearInterval(monitor);
          }, 100);
          return executionId;
        }
        const id = await executeWithCondition(block('memory-hungry'), async (status) => status.memoryUsage > 100_000_000);
        const final = await target().wait(id);
        expect(final.data.status).toBe('stopped');
        expect(final.data.peakMemoryUsage).toBeGreaterThan(100_000_000);
        expect(survivors(await target().markerOf(id))).toEqual([]);
      });

      it('5. emergency stop', async () => {
        for (let i = 0; i < 3; i++) await codebolt.sideExecution.startWithCode('await new Promise(r => setTimeout(r, 30000));');
        async function getRunningExecutions() {
          const list = await target().list({ status: 'running' });
          return list.success ? list.executions.map((e) => e.sideExecutionId) : [];
        }
        async function emergencyStop() {
          const runningExecutions = await getRunningExecutions();
          const results = await Promise.allSettled(runningExecutions.map((id) => codebolt.sideExecution.stop(id)));
          return { stopped: results.filter((r) => r.status === 'fulfilled').length, total: runningExecutions.length };
        }
        const outcome = await emergencyStop();
        expect(outcome.total).toBeGreaterThanOrEqual(3);
        expect(outcome.stopped).toBe(outcome.total);
        expect(await getRunningExecutions()).toEqual([]);
      });
    });

    describe('seed 003: the quick start', () => {
      it('lists blocks, starts one with params and a timeout, checks its status, stops it', async () => {
        await codebolt.waitForConnection();
        const blocks = await codebolt.sideExecution.listActionBlocks();
        const names = (blocks.data.actionBlocks as Array<{ name: string }>).map((b) => b.name);
        expect(names).toEqual(expect.arrayContaining(['long-task', 'quick-task', 'memory-hungry', 'echo']));
        const execution = await codebolt.sideExecution.startWithActionBlock(block('long-task'), { param1: 'value1' }, 300000);
        expect(execution.data.sideExecutionId).toMatch(/^side_\d+_[0-9a-f]{8}$/);
        const status = await codebolt.sideExecution.getStatus(execution.data.sideExecutionId);
        expect(status.data.status).toBe('running');
        expect(status.data.params).toEqual({ param1: 'value1' });
        const stopped = await codebolt.sideExecution.stop(execution.data.sideExecutionId);
        expect(stopped.data.status).toBe('stopped');
      });
    });
  });
}
