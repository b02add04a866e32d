import type { ProcessInfo, WorkersFields } from '@sidex/protocol';
import type { ExecutionStore, ListFilter, ListPage } from '../store/execution-store.js';
import type { ExecutionRecord } from '../model/record.js';
import type { EngineEvents, ExternalSettlement, StopOptions, StopOutcome } from './engine.js';
import type { StartSpec } from './execution.js';
import type { LogFrame } from './output/log-format.js';

/** What a cluster's engine says of its workers and queues. */
export type ClusterWorkers = Required<Pick<WorkersFields, 'workers' | 'queues' | 'staleAfterMs'>>;

/**
 * What the services ask of an engine. The local `Engine` runs executions in
 * this process; the cluster's `QueuedEngine` (cluster/) hands them to workers
 * through a queue. The services are the same in both modes.
 */
export interface ExecutionEngine {
  readonly store: ExecutionStore;
  start(spec: StartSpec): Promise<ExecutionRecord>;
  get(id: string): Promise<ExecutionRecord | undefined>;
  list(filter: ListFilter): Promise<ListPage>;
  wait(id: string): Promise<ExecutionRecord>;
  stop(id: string, options?: StopOptions): Promise<StopOutcome>;
  sendMessage(id: string, value: unknown): void;
  setProgress(id: string, value: unknown): void;
  settle(id: string, settlement: ExternalSettlement): void;
  logs(id: string, options?: { follow?: boolean; signal?: AbortSignal }): AsyncGenerator<LogFrame>;
  /** Bytes for a running command's stdin (and its close). */
  writeStdin(id: string, data: Buffer, options?: { close?: boolean }): Promise<{ pendingBytes: number; open: boolean }>;
  /** The processes of a live execution's tree (a cluster's engine asks the worker holding it); undefined unless it runs. */
  processes(id: string): ProcessInfo[] | undefined | Promise<ProcessInfo[] | undefined>;
  on<E extends keyof EngineEvents>(event: E, listener: (...args: EngineEvents[E]) => void): this;
  off<E extends keyof EngineEvents>(event: E, listener: (...args: EngineEvents[E]) => void): this;
  /** The workers that run this engine's executions and the queues' depth, for an engine that hands them to others (a cluster's); undefined for one that runs them itself. */
  workers(): Promise<ClusterWorkers> | undefined;
  readonly runningCount: number;
  readonly queuedCount: number;
  close(options?: { graceMs?: number }): Promise<void>;
}
