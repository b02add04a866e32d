// The examples of shared/seeds/002 (the Codebolt `capability.stopCapability`
// page), examples 1–3 and its common use cases (clean cancellation, batch
// cancellation), run against the in-process CapabilityService. The example
// code is kept as written; only sleeps are shortened. `console` is a local
// stand-in so the tests can read what the examples print.
import { describe, expect, it } from 'vitest';
import { fixtureProject } from './fixtures/projects/fixture-project.js';
import { eventually, makeSidex, survivors } from './helpers/sidex.js';

const fx = fixtureProject();
const sidex = makeSidex({ projectDir: fx.project, globalDir: fx.global });
// What a Codebolt program holds: `codebolt.capability.*`, typed as the
// Codebolt SDK types it (@codebolt/types/sdk), which the examples are written
// against; sidex's replies carry these fields flat and under `data`.
interface StartCapabilityResponse {
  type: 'startCapabilityResponse';
  success: boolean;
  executionId: string;
  error?: string;
  data?: any;
}
interface StopCapabilityResponse {
  type: 'stopCapabilityResponse';
  success: boolean;
  executionId?: string;
  status?: string;
  error?: string;
  data?: any;
}
interface GetExecutionStatusResponse {
  type: 'getExecutionStatusResponse';
  success: boolean;
  execution?: Record<string, unknown>;
  error?: string;
  data?: any;
}
interface CodeboltCapability {
  startSkill(skillName: string, params?: Record<string, any>, timeout?: number): Promise<StartCapabilityResponse>;
  stopCapability(executionId: string): Promise<StopCapabilityResponse>;
  getExecutionStatus(executionId: string): Promise<GetExecutionStatusResponse>;
}
const codebolt = { capability: sidex.capability as unknown as CodeboltCapability };

const printed: string[] = [];
const console = {
  log: (...args: unknown[]) => printed.push(args.map(String).join(' ')),
  error: (...args: unknown[]) => printed.push(`error: ${args.map(String).join(' ')}`),
};

const statusOf = async (id: string) => (await codebolt.capability.getExecutionStatus(id)).data?.status;
const markerOf = async (id: string) => (await sidex.engine.get(id))?.marker;
const isRunning = (id: string) => eventually(async () => (await sidex.engine.get(id))?.stdout.text.includes('ready') === true);

describe('seed 002: stopCapability — examples', () => {
  it('Example 1: stop a running execution', async () => {
    printed.length = 0;
    // Start an execution
    const execution = await codebolt.capability.startSkill('long-running-task');
    expect(await isRunning(execution.executionId)).toBe(true);

    // Later, stop it
    const stopResult = await codebolt.capability.stopCapability(execution.executionId);

    if (stopResult.success) {
      console.log('Execution stopped successfully');
    } else {
      console.error('Failed to stop:', stopResult.error);
    }

    expect(printed).toEqual(['Execution stopped successfully']);
    expect(stopResult.type).toBe('stopCapabilityResponse');
    expect(stopResult).toMatchObject({ executionId: execution.executionId, status: 'stopped' });
    expect(survivors(await markerOf(execution.executionId))).toEqual([]);
  });

  it('Example 2: stop with timeout — the skill completes first', async () => {
    printed.length = 0;
    const executeWithTimeout = async (skillName: string, params: any, timeoutMs: number) => {
      const execution = await codebolt.capability.startSkill(skillName, params);

      // Set timeout to stop if not complete
      const timeoutId = setTimeout(async () => {
        console.log('Timeout reached, stopping execution...');
        await codebolt.capability.stopCapability(execution.executionId);
      }, timeoutMs);

      // Monitor execution
      while (true) {
        const status = await codebolt.capability.getExecutionStatus(execution.executionId);

        if (status.data?.status === 'completed' || status.data?.status === 'failed') {
          clearTimeout(timeoutId);
          return status.data;
        }

        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    const data = await executeWithTimeout('quick-task', { delayMs: 100 }, 5000);
    expect(data).toMatchObject({ status: 'completed', capabilityName: 'quick-task', result: { done: true, params: { delayMs: 100, fail: false } } });
    const failed = await executeWithTimeout('quick-task', { delayMs: 10, fail: true }, 5000);
    expect(failed).toMatchObject({ status: 'failed', error: 'quick-task was asked to fail' });
    expect(printed).toEqual([]); // the timeouts were cleared: nothing was stopped
  });

  it('Example 2: stop with timeout — the timeout strikes first', async () => {
    // As written, the example's loop only ends on completed or failed, and a
    // stopped execution is neither; the timeout half is therefore run as the
    // example runs it, with the loop's end observed from outside.
    printed.length = 0;
    const execution = await codebolt.capability.startSkill('long-running-task', {});
    const timeoutMs = 300;
    const timeoutId = setTimeout(async () => {
      console.log('Timeout reached, stopping execution...');
      await codebolt.capability.stopCapability(execution.executionId);
    }, timeoutMs);
    expect(await eventually(async () => (await statusOf(execution.executionId)) === 'stopped', 5000)).toBe(true);
    clearTimeout(timeoutId);
    expect(printed).toEqual(['Timeout reached, stopping execution...']);
    const status = await codebolt.capability.getExecutionStatus(execution.executionId);
    expect(status.data?.status).toBe('stopped');
    expect(status.data?.result).toMatchObject({ from: 0 });
  });

  it('Example 3: user-initiated cancellation', async () => {
    printed.length = 0;
    let currentExecution: string | null = null;

    // Start execution
    const start = async () => {
      const result = await codebolt.capability.startSkill('interactive-task');
      currentExecution = result.executionId;
      return result;
    };

    // Cancel execution
    const cancel = async () => {
      if (currentExecution) {
        const result = await codebolt.capability.stopCapability(currentExecution);
        console.log('Cancelled:', result.success);
        currentExecution = null;
      }
    };

    // Usage
    const started = await start();
    const id = started.executionId;
    expect(await isRunning(id)).toBe(true);
    // ... user clicks cancel button
    await cancel();

    expect(printed).toEqual(['Cancelled: true']);
    expect(currentExecution).toBeNull();
    const status = await codebolt.capability.getExecutionStatus(id);
    expect(status.data).toMatchObject({ status: 'stopped', result: { cancelled: true } });
    // A second click has nothing to cancel.
    await cancel();
    expect(printed).toEqual(['Cancelled: true']);
  });
});

describe('seed 002: stopCapability — common use cases', () => {
  it('Clean cancellation', async () => {
    printed.length = 0;
    const gracefulShutdown = async (executionId: string) => {
      const stop = await codebolt.capability.stopCapability(executionId);

      if (stop.success) {
        console.log('Execution stopped cleanly');
        // Perform cleanup
      }
    };

    const running = await codebolt.capability.startSkill('long-running-task');
    const id = running.executionId;
    expect(await isRunning(id)).toBe(true);
    await gracefulShutdown(id);
    expect(printed).toEqual(['Execution stopped cleanly']);
    expect(await statusOf(id)).toBe('stopped');
    expect(survivors(await markerOf(id))).toEqual([]);

    // An execution that already completed is not stopped "cleanly": it had finished.
    const quick = await codebolt.capability.startSkill('quick-task', { delayMs: 0 });
    await sidex.sideExecution.wait(quick.executionId);
    await gracefulShutdown(quick.executionId);
    expect(printed).toEqual(['Execution stopped cleanly']);
  });

  it('Batch cancellation', async () => {
    printed.length = 0;
    const stopAllExecutions = async (executionIds: string[]) => {
      const results = await Promise.allSettled(executionIds.map((id) => codebolt.capability.stopCapability(id)));

      results.forEach((result, i) => {
        if (result.status === 'fulfilled') {
          console.log(`Execution ${i} stopped:`, result.value.success);
        }
      });
    };

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await codebolt.capability.startSkill('long-running-task')).executionId);
    const done = (await codebolt.capability.startSkill('quick-task', { delayMs: 0 })).executionId;
    await sidex.sideExecution.wait(done);
    for (const id of ids) expect(await isRunning(id)).toBe(true);
    const markers = await Promise.all(ids.map(markerOf));

    await stopAllExecutions([...ids, done, 'cap_0_00000000']);

    expect(printed).toEqual([
      'Execution 0 stopped: true',
      'Execution 1 stopped: true',
      'Execution 2 stopped: true',
      'Execution 3 stopped: false',
      'Execution 4 stopped: false',
    ]);
    for (const id of ids) expect(await statusOf(id)).toBe('stopped');
    for (const marker of markers) expect(survivors(marker)).toEqual([]);
    const active = await sidex.capability.getActiveExecutions();
    expect(active.success && active.executions).toEqual([]);
  });
});
