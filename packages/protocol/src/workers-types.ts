// What `GET /v1/workers` answers: the workers of a cluster and its queues'
// depth (docs/cluster.md), or, without a cluster, the server's own engine.

/** How a worker is: `live`; `draining`: shutting down, it takes no new work; `stale`: not heard from within the loss bound. */
export type WorkerHealth = 'live' | 'draining' | 'stale';

/** One `sidex worker`, as it last said of itself. */
export interface WorkerInfo {
  /** `--name` (default host:pid); the records it runs name it in `worker`. */
  name: string;
  /** The tags it serves. */
  tags: string[];
  /** Executions it runs at once. */
  concurrency: number;
  /** Executions it holds now. */
  running: number;
  state: WorkerHealth;
  /** Epoch ms of its last heartbeat, by its own clock. */
  heartbeatAt: number;
  /** How long before this answer that was, ms (by the server's clock: skew between machines shows here). */
  heartbeatAgeMs: number;
  host?: string;
  pid?: number;
  /** Epoch ms it started. */
  startedAt?: number;
  /** Resident memory of the worker process itself (not of its executions), bytes. */
  memoryBytes?: number;
  /** How its executions are isolated: `sandbox`, or `process` with the reason (no bubblewrap there, say). */
  isolation?: WorkerIsolation;
}

export interface WorkerIsolation {
  mode: 'sandbox' | 'process';
  reason?: string;
}

/** One queue: the untagged one, or that of a set of required tags. */
export interface QueueDepth {
  /** `executions`, or `executions.<tag>+<tag>`. */
  name: string;
  /** The tags its starts require. */
  tags: string[];
  /** Starts waiting for a worker. */
  waiting: number;
  /** Taken by a worker: running, or about to. */
  active: number;
  /** Retries waiting out their backoff. */
  delayed: number;
  /** Live workers that serve it (0: its starts wait until one does). */
  workers: number;
}

/** The server's own engine, when it is not part of a cluster. */
export interface LocalLoad {
  running: number;
  /** Starts waiting for a slot. */
  queued: number;
  /** Executions it runs at once. */
  concurrency: number;
  /** Warm runtimes waiting for an execution. */
  idleRuntimes: number;
}

export interface WorkersFields {
  /** Whether this server hands its executions to workers (`sidex serve --queue`). */
  clustered: boolean;
  /** By name; a stale worker stays listed for an hour after its last heartbeat. Empty without a cluster. */
  workers: WorkerInfo[];
  /** Empty without a cluster. */
  queues: QueueDepth[];
  /** After how long without a heartbeat a worker is `stale` (the loss bound), ms; in a cluster. */
  staleAfterMs?: number;
  /** Without a cluster: the one engine that runs everything. */
  local?: LocalLoad;
}
