// The examples of seed 004 (the RocketRide `terminate` page), run
// against `target()`: the in-process PipelineService (pipeline-seeds.test.ts)
// or a cluster's servers through RocketRide's client (cluster-seeds.test.ts).
// A RocketRide client reads the pipeline file itself and sends its contents
// (`use({filepath})`); here the target's client does that reading. The
// example logic is kept; sleeps are shortened. Items in progress get 200 ms
// to drain at a terminate, so that "Terminate After Monitoring" cancels its
// minute-long item quickly.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TaskState } from '../dist/index.js';
import { codeChain } from './fixtures/pipelines.js';
import { survivors } from './helpers/sidex.js';

/** Writes the pipeline files the examples name into `dir`. */
export function writeSeedPipelines(dir: string): void {
  fs.writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify({ pipeline: codeChain('return input.toUpperCase()') }));
  fs.writeFileSync(path.join(dir, 'long_processor.json'), JSON.stringify(codeChain('await new Promise((r) => setTimeout(r, 60_000)); return input;')));
}

/** The pipeline a `use({filepath})` names, read from `dir`. */
export const readSeedPipeline = (dir: string, filepath: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.resolve(dir, filepath), 'utf8'));

/** What the example programs hold: a RocketRide client. */
export interface SeedRocketRideClient {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  use(options: { filepath: string; ttl?: number }): Promise<{ token: string }>;
  send(token: string, data: string): Promise<unknown>;
  terminate(token: string): Promise<void>;
  get_task_status(token: string): Promise<{ id: string; completed: boolean }>;
  print(line: string): void;
}

export interface PipelineSeedTarget {
  /** A client whose `print` goes to `log`. */
  client(log: string[]): SeedRocketRideClient;
  /** The tree marker of an execution's processes. */
  markerOf(id: string): Promise<string | undefined>;
}

export function pipelineSeedSuite(target: () => PipelineSeedTarget): void {
  const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

  describe('seed 004: terminate — usage examples', () => {
    it('Basic Termination', async () => {
      const log: string[] = [];
      const client = target().client(log);
      await client.connect();

      const result = await client.use({ filepath: './pipeline.json' });

      // Send some data
      const sent = await client.send(result.token, 'Process this text');

      // Terminate the pipeline
      await client.terminate(result.token);
      client.print('Pipeline terminated successfully');

      await client.disconnect();
      expect(sent).toMatchObject({ text: ['PROCESS THIS TEXT\n\n'] });
      expect(log).toEqual(['Pipeline terminated successfully']);
      const status = await client.get_task_status(result.token);
      expect(status).toMatchObject({ state: TaskState.CANCELLED, status: 'Stopped', completedCount: 1 });
      expect(survivors(await target().markerOf(status.id))).toEqual([]);
    });

    it('Terminate with Error Handling: success, then the failure of an invalid token', async () => {
      const log: string[] = [];
      const client = target().client(log);
      const { token } = await client.use({ filepath: './pipeline.json' });

      for (const attempt of [token, 'tk_invalid_token']) {
        try {
          await client.terminate(attempt);
          client.print('Pipeline terminated successfully');
        } catch (e) {
          client.print(`Failed to terminate pipeline: ${(e as Error).message}`);
        }
      }
      expect(log).toEqual(['Pipeline terminated successfully', 'Failed to terminate pipeline: no task with token "tk_invalid_token"']);
    });

    /** The example, as written; `wait` stands for its `asyncio.sleep(30)`. */
    async function terminateAfterMonitoring(client: SeedRocketRideClient, file: string, options: { ttl?: number }, wait: number) {
      const result = await client.use({ filepath: file, ...options });
      const token = result.token;
      const item = client.send(token, 'takes a minute').catch((e: Error) => e);

      // Monitor for a while, then terminate
      await sleep(wait);

      const status = await client.get_task_status(token);
      if (!status.completed) {
        await client.terminate(token);
        client.print('Pipeline was still running — terminated');
      } else {
        client.print('Pipeline already completed');
      }
      return { token, status, item };
    }

    it('Terminate After Monitoring: a pipeline still running is terminated', async () => {
      const log: string[] = [];
      const client = target().client(log);
      const { token, item } = await terminateAfterMonitoring(client, 'long_processor.json', {}, 0.3);
      expect(log).toEqual(['Pipeline was still running — terminated']);
      expect(await item).toMatchObject({ code: 'ITEM_CANCELLED' });
      expect(await client.get_task_status(token)).toMatchObject({ state: TaskState.CANCELLED, cancelledCount: 1 });
    });

    it('Terminate After Monitoring: a pipeline that has completed is left alone', async () => {
      const log: string[] = [];
      const client = target().client(log);
      // Its one item passes at once; then its 1 s idle TTL ends it before the monitoring is over.
      const { status, item } = await terminateAfterMonitoring(client, 'pipeline.json', { ttl: 1 }, 2.5);
      expect(log).toEqual(['Pipeline already completed']);
      expect(await item).toMatchObject({ text: ['TAKES A MINUTE\n\n'] });
      expect(status).toMatchObject({ state: TaskState.COMPLETED, status: 'Completed', completedCount: 1 });
    });
  });
}
