// What /metrics exposes, through prom-client. A registry of its own per
// server (never prom-client's global one), so that two servers in one process
// never mix their series.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Engine } from '../engine/engine.js';
import type { PipelineService } from '../services/pipeline-service.js';
import { ExecutionTimings } from './execution-timings.js';

export interface MetricsSources {
  engine: Engine;
  pipelines: PipelineService;
  /** Open WebSocket connections, by dialect. */
  connections: () => Record<string, number>;
}

/** Start latency runs from well under a millisecond (warm pool) to queue waits of minutes. */
const START_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120];
/** Stop latency is the grace's business: a cooperative stop takes ms, a forced one the grace and more. */
const STOP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface ServerMetrics {
  readonly contentType: string;
  text(): Promise<string>;
  /** Detaches from the engine and the pipelines. */
  close(): void;
}

export function serverMetrics(sources: MetricsSources): ServerMetrics {
  const { engine, pipelines } = sources;
  const register = new Registry();
  collectDefaultMetrics({ register });

  const started = new Counter({ name: 'sidex_executions_started_total', help: 'Executions accepted, by kind.', labelNames: ['kind'], registers: [register] });
  const ended = new Counter({ name: 'sidex_executions_ended_total', help: 'Executions ended, by kind and final status.', labelNames: ['kind', 'status'], registers: [register] });
  const startLatency = new Histogram({ name: 'sidex_start_latency_seconds', help: 'From the start request to the code running (queue wait included).', buckets: START_BUCKETS, registers: [register] });
  const stopLatency = new Histogram({ name: 'sidex_stop_latency_seconds', help: 'From a stop beginning to the tree being gone.', buckets: STOP_BUCKETS, registers: [register] });
  const items = new Counter({ name: 'sidex_pipeline_items_total', help: 'Pipeline items, by what became of them.', labelNames: ['state'], registers: [register] });
  new Gauge({ name: 'sidex_executions_running', help: 'Executions running now.', registers: [register], collect() { this.set(engine.runningCount); } });
  new Gauge({ name: 'sidex_executions_queued', help: 'Executions waiting for a slot.', registers: [register], collect() { this.set(engine.queuedCount); } });
  new Gauge({ name: 'sidex_warm_pool_idle', help: 'Booted runtimes waiting for an execution.', registers: [register], collect() { this.set(engine.idleRuntimes); } });
  new Gauge({ name: 'sidex_execution_memory_bytes', help: 'Memory of all live executions\' process trees, as last sampled.', registers: [register], collect() { this.set(engine.liveMemoryBytes); } });
  new Gauge({
    name: 'sidex_ws_connections',
    help: 'Open WebSocket connections, by dialect.',
    labelNames: ['dialect'],
    registers: [register],
    collect() {
      for (const [dialect, count] of Object.entries(sources.connections())) this.set({ dialect }, count);
    },
  });

  const timings = new ExecutionTimings({
    started: (kind) => started.inc({ kind }),
    running: (seconds) => startLatency.observe(seconds),
    stopped: (seconds) => stopLatency.observe(seconds),
    ended: (kind, status) => ended.inc({ kind, status }),
  });
  const onStatus = timings.onStatus;
  const onItems = (state: string, n: number) => items.inc({ state }, n);
  engine.on('status', onStatus);
  pipelines.itemCounts.on('counted', onItems);

  return {
    contentType: register.contentType,
    text: () => register.metrics(),
    close() {
      engine.off('status', onStatus);
      pipelines.itemCounts.off('counted', onItems);
    },
  };
}
