// What a task is started with, and what it needs of the service around it.
import type { Engine } from '../../engine.js';
import type { ResolvedPipeline } from '../../../runtime/pipeline-host/pipeline.js';
import type { PipelineEvent, PipelineEventName } from '../events.js';
import type { ItemCountState } from './counters.js';
import type { PipelineTask } from './pipeline-task.js';

export interface TaskSettings {
  token: string;
  publicToken: string;
  pipeline: ResolvedPipeline;
  /** Validation warnings: they stay in the status. */
  warnings: string[];
  args: string[];
  threads: number;
  /** Idle seconds before the task ends by itself; 0 never. */
  ttlSec: number;
  drainMs: number;
  /** Grace of the stop protocol when the task's process is ended. */
  graceMs: number;
  maxItemBytes: number;
  startTimeoutMs: number;
  statusIntervalMs: number;
  env: Record<string, string>;
  hostEntry: string;
}

export interface TaskDeps {
  engine: Engine;
  emit(event: PipelineEvent): void;
  /** Whether anyone listens to an event, so that none is built for nobody. */
  wants(event: PipelineEventName): boolean;
  /** Hears every item count as it moves (the server's metrics). */
  counted?(state: ItemCountState, n: number): void;
  /** Called once, when the task has ended (or failed to start). */
  ended(task: PipelineTask): void;
}
