import { EventEmitter, once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { SidexError } from '../errors.js';
import type { CheckedMessage } from './pool/runtime-messages.js';
import type { ExecutionStore, ListFilter, ListPage, NewEvent } from '../store/execution-store.js';
import { buildBaseEnv, DEFAULT_ENV_ALLOW, executionEnv } from './child-env.js';
import { Execution, type StartSpec } from './execution.js';
import { finalFields, heapOverflowed, statusEvent } from './final-status.js';
import { newExecutionId } from '../model/ids.js';
import { checkInlineSyntax } from './inline-syntax.js';
import { ResourceSampler } from './limits/resource-sampler.js';
import type { OutputCapture, OutputChunk } from './output/capture.js';
import type { LogFrame, StreamName } from './output/log-format.js';
import { claimStdioFiles, logFilesOf, SPARE_OUTPUT_DIR, type LogFiles } from './output/log-files.js';
import { readLog } from './output/log-reader.js';
import { fileSizeLimitFor, RuntimeFactory, type PermissionOptions, type RuntimeProfile } from './pool/runtime-factory.js';
import { removePath, type RuntimeProcess } from './pool/runtime-process.js';
import { WarmPool } from './pool/warm-pool.js';
import { emptyOutput, isTerminal, type ExecutionRecord, type StopReason } from '../model/record.js';
import { StopProtocol } from './stop/stop-protocol.js';
import { reportedError } from './reported-error.js';
import type { GuardianRestart, RunGuardian, StartGuardian } from './run-guardian.js';
import { dataKeyOf, newRunId } from './tree/marker.js';
import type { TreeTracker } from './tree/tracked-tree.js';
import { createTreeTracker, type TrackingMode } from './tree/tree-tracker.js';
import { findProgram, resolveIsolation, type Isolation, type IsolationRequest } from './sandbox/isolation.js';
import type { CgroupVersion } from './tree/cgroup-paths.js';
import type { SandboxNetwork } from './sandbox/launch.js';
import { codePaths, type MountPlan } from './sandbox/mount-plan.js';
import { MAX_CPU_LIMIT, MAX_PIDS_LIMIT, MIN_CPU_LIMIT, MIN_PIDS_LIMIT } from './limits/limit-bounds.js';

export interface EngineOptions {
  dataDir: string;
  /** Booted runtimes kept idle. */
  poolSize?: number;
  /** Executions running at once; more wait in the queue. */
  maxConcurrent?: number;
  maxQueued?: number;
  defaultGraceMs?: number;
  /** Bytes of each stream kept in memory for status replies. */
  tailBytes?: number;
  /** Default memory limit of an execution: its cgroup's where the kernel allows, else sampled whole-tree RSS (docs/limits.md). */
  memoryLimitBytes?: number;
  /** Default most output an execution may write (stdout and stderr together): its log is on the server's disk. */
  outputLimitBytes?: number;
  /** Default most processes and threads an execution may have at once (a cgroup's pids.max; 1024). */
  pidsLimit?: number;
  /** Enforce limits through cgroups and RLIMIT_FSIZE where the machine allows (default true); false: memory is sampled, the output limit checked by reading, processes and CPU unlimited. */
  kernelLimits?: boolean;
  sampleIntervalMs?: number;
  tracking?: TrackingMode;
  envAllow?: string[];
  env?: Record<string, string>;
  /** Run executions under Node's permission model (off when absent). */
  permissions?: PermissionOptions;
  /** `auto` (the default): a sandbox per execution where the kernel allows it, else `process`. */
  isolation?: IsolationRequest;
  /** What sandboxes see and may reach (sandbox isolation only). */
  sandbox?: SandboxSettings;
  /** Where records go; the engine's caller owns it (and closes it). */
  store: ExecutionStore;
  /** Starts the process that kills this run's trees should the engine die (lifecycle/guardian.ts). */
  guardian: StartGuardian;
}

export interface SandboxSettings {
  /** Directories every execution may read (block and capability roots, configured extras). */
  readOnlyPaths?: string[];
  /** Directories every execution may write besides its scratch directory. */
  readWritePaths?: string[];
  /** Paths never visible, even inside a readable directory (the server's config file). */
  hiddenPaths?: string[];
  /** Host uid sandboxed code runs as when the server is root (default 65534, nobody). */
  uid?: number;
  /** Default network of an execution (a start may choose its own). */
  network?: SandboxNetwork;
}

export interface StopOptions {
  graceMs?: number;
  force?: boolean;
  reason?: StopReason;
}

export interface StopOutcome {
  /** The record after the stop. */
  record: ExecutionRecord;
  /** It was already terminal before this stop arrived. */
  alreadyEnded: boolean;
}

export interface OutputEvent {
  id: string;
  stream: StreamName;
  data: string;
  time: number;
}

export interface EngineEvents {
  status: [ExecutionRecord];
  output: [OutputEvent];
  checkpoint: [{ id: string; value: unknown }];
  progress: [{ id: string; value: unknown }];
  /** A value the running code sent with ctx.send. */
  message: [{ id: string; value: unknown }];
  /** A store write failed; the execution goes on and the next write catches the store up. */
  storeError: [{ id: string; error: Error }];
  /** The guardian process died while the engine lives; a new one has taken its place. */
  guardianRestarted: [GuardianRestart];
}

/** Who enforces each limit: a cgroup (v2 or v1), RLIMIT_FSIZE, or the engine's own sampling; `none`: not limited. */
export interface EngineLimits {
  memory: CgroupVersion | 'sampled';
  pids: CgroupVersion | 'none';
  cpu: CgroupVersion | 'none';
  output: 'rlimit' | 'sampled';
}

/** How code that never exits by itself reports its end (Codebolt-built blocks). */
export type ExternalSettlement = { result?: unknown } | { error: { code?: string; message: string; stack?: string } };

const LOG_FOLLOW_POLL_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A memory limit is a hazard to the machine: its grace is short. */
const MEMORY_LIMIT_GRACE_MS = 500;
/** Shorter still for output: a flood writes hundreds of MB a second to the server's disk. */
const OUTPUT_LIMIT_GRACE_MS = 100;
/** A fork bomb spins at its limit until killed. */
const PIDS_LIMIT_GRACE_MS = 100;
/** Enough for a few node processes of an execution (threads count too), far from a machine's pid_max. */
export const DEFAULT_PIDS_LIMIT = 1024;
/** 1 GiB: a chatty long job fits, a runaway loop does not fill the disk. */
export const DEFAULT_OUTPUT_LIMIT_BYTES = 1024 * 1024 * 1024;
/** Processes left behind by code that has returned get a short grace: nobody waits on them. */
const LEFTOVER_GRACE_MS = 1000;
const TERMINAL_WRITE_ATTEMPTS = 5;
/** Bytes of each stream kept in memory for status replies (and rebuilt by recovery). */
export const DEFAULT_TAIL_BYTES = 1024 * 1024;

/**
 * The supervisor: spawns runtimes from a warm pool, owns the lifecycle, the
 * stop protocol, timeouts, limits and output capture. Knows nothing of any
 * transport or dialect.
 */
export class Engine extends EventEmitter<EngineEvents> {
  readonly store: ExecutionStore;
  readonly tracker: TreeTracker;
  private readonly options: Required<Omit<EngineOptions, 'store' | 'guardian' | 'memoryLimitBytes' | 'env' | 'permissions' | 'isolation' | 'sandbox'>> & EngineOptions;
  /** The isolation in force, and why it is not `sandbox` when it is not. */
  readonly isolation: Isolation;
  /** Which limits the kernel enforces on this machine, and how. */
  readonly limits: EngineLimits;
  private readonly live = new Map<string, Execution>();
  private readonly queue: Execution[] = [];
  private active = 0;
  private closing = false;
  private readonly pool: WarmPool;
  /** Executions whose stop protocol or leftover collection is running: the pool's refill steps aside for them. */
  private endsInFlight = 0;
  private readonly sampler: ResourceSampler;
  private readonly factory: RuntimeFactory;
  private readonly scratchRoot: string;
  /** Output files of runtimes no execution has claimed yet: inside the log directory, so a claim is a rename. */
  private readonly spareOutputRoot: string;
  private readonly pooledProfile: RuntimeProfile;
  private readonly guardian: RunGuardian;
  private readonly logDir: string;
  private readonly decoders = new Map<string, StringDecoder>();

  constructor(options: EngineOptions) {
    super();
    this.options = {
      poolSize: 2,
      maxConcurrent: 64,
      maxQueued: 10_000,
      defaultGraceMs: 5000,
      tailBytes: DEFAULT_TAIL_BYTES,
      outputLimitBytes: DEFAULT_OUTPUT_LIMIT_BYTES,
      pidsLimit: DEFAULT_PIDS_LIMIT,
      kernelLimits: true,
      sampleIntervalMs: 250,
      tracking: 'auto',
      envAllow: DEFAULT_ENV_ALLOW,
      ...options,
      dataDir: path.resolve(options.dataDir),
    };
    const { dataDir } = this.options;
    this.logDir = path.join(dataDir, 'logs');
    fs.mkdirSync(this.logDir, { recursive: true });
    this.store = options.store;
    this.isolation = resolveIsolation(options.isolation ?? 'auto', options.sandbox?.uid);
    checkNetworkIsolation(options.sandbox?.network, this.isolation, 'network');
    const trackerOptions = { mode: this.options.tracking, dataKey: dataKeyOf(dataDir), runId: newRunId(), kernelLimits: this.options.kernelLimits };
    this.tracker = createTreeTracker(trackerOptions, 'prepare');
    const kinds = this.tracker.limits.kinds;
    const prlimit = this.options.kernelLimits ? findProgram('prlimit') : undefined;
    this.limits = { memory: kinds.memory ?? 'sampled', pids: kinds.pids ?? 'none', cpu: kinds.cpu ?? 'none', output: prlimit ? 'rlimit' : 'sampled' };
    this.guardian = options.guardian({ ...trackerOptions, mode: this.tracker.kind }, (restart) => this.emit('guardianRestarted', restart));
    this.sampler = new ResourceSampler(this.options.sampleIntervalMs);
    this.scratchRoot = path.join(dataDir, 'scratch', trackerOptions.runId);
    this.spareOutputRoot = path.join(this.logDir, SPARE_OUTPUT_DIR, trackerOptions.runId);
    this.factory = new RuntimeFactory({
      scratchRoot: this.scratchRoot,
      outputRoot: this.spareOutputRoot,
      markerPrefix: `${trackerOptions.dataKey}.${trackerOptions.runId}.`,
      tracker: this.tracker,
      env: (marker) => buildBaseEnv(this.options.envAllow, this.options.env ?? {}, marker),
      ...(options.permissions ? { permissions: options.permissions } : {}),
      ...(prlimit ? { prlimit } : {}),
      kernelMemory: this.limits.memory !== 'sampled',
      ...(this.isolation.mode === 'sandbox' ? { sandbox: { isolation: this.isolation, mounts: (scratchDir: string) => this.mountPlan(scratchDir) } } : {}),
    });
    this.pooledProfile = {
      ...(this.options.memoryLimitBytes ? { memoryLimitBytes: this.options.memoryLimitBytes } : {}),
      ...(this.options.outputLimitBytes ? { outputLimitBytes: this.options.outputLimitBytes } : {}),
      ...(this.options.pidsLimit ? { pidsLimit: this.options.pidsLimit } : {}),
      ...(options.sandbox?.network ? { network: options.sandbox.network } : {}),
    };
    this.pool = new WarmPool(() => this.factory.spawn(this.pooledProfile), this.options.poolSize, () => this.endsInFlight > 0);
    this.pool.start();
  }

  // ---- public API ----------------------------------------------------------

  /**
   * Answers once the execution runs, waits in the queue, or has failed to start
   * (the returned record is then `failed`). Bad input throws and changes nothing.
   */
  async start(spec: StartSpec): Promise<ExecutionRecord> {
    if (this.closing) throw new SidexError('SHUTTING_DOWN', 'the server is shutting down and accepts no new executions');
    if (spec.kind === 'inline') checkInlineSyntax(spec.code ?? '');
    checkNetworkIsolation(spec.network, this.isolation, 'options.network');
    checkLimits(spec);
    if (this.active >= this.options.maxConcurrent && this.queue.length >= this.options.maxQueued) {
      throw new SidexError('QUEUE_FULL', `the queue is full (${this.options.maxQueued} executions waiting)`);
    }
    const exec = new Execution(this.newRecord(spec), spec);
    // Nothing runs that the store has not recorded: a failing store refuses the start.
    await exec.persist((r) => this.store.insert(r, statusEvent(r))).catch((err: unknown) => {
      if (err instanceof SidexError) throw err;
      throw new SidexError('STORE_UNAVAILABLE', `the store did not record the execution: ${(err as Error).message}`);
    });
    this.live.set(exec.id, exec);
    this.emit('status', { ...exec.record });
    if (this.active < this.options.maxConcurrent) {
      this.claimSlot(exec);
      void this.launch(exec);
      await exec.settledStart.promise;
    } else {
      this.queue.push(exec);
    }
    return exec.snapshot();
  }

  async get(id: string): Promise<ExecutionRecord | undefined> {
    const exec = this.live.get(id);
    return exec ? exec.snapshot() : this.store.get(id);
  }

  /** The store's page, with live executions shown as they are now (output, memory, CPU). */
  async list(filter: ListFilter): Promise<ListPage> {
    const page = await this.store.list(filter);
    return { ...page, items: page.items.map((record) => this.live.get(record.id)?.snapshot() ?? record) };
  }

  /** Resolves with the terminal record. */
  async wait(id: string): Promise<ExecutionRecord> {
    const exec = this.live.get(id);
    if (exec) return exec.terminal.promise;
    const record = await this.store.get(id);
    if (!record) throw notFound(id);
    return record;
  }

  /** The stop protocol of shared/ARCHITECTURE.md; resolves when no process of the tree remains. */
  async stop(id: string, options: StopOptions = {}): Promise<StopOutcome> {
    const exec = this.live.get(id);
    if (!exec || isTerminal(exec.record.status)) {
      const record = exec?.record ?? (await this.store.get(id));
      if (!record) throw notFound(id);
      return { record, alreadyEnded: true };
    }
    const graceMs = options.force ? 0 : (options.graceMs ?? this.graceOf(exec));
    this.requestStop(exec, options.reason ?? 'user', graceMs);
    return { record: await exec.terminal.promise, alreadyEnded: false };
  }

  /** Delivers a value to the running code's ctx.onMessage handlers. */
  sendMessage(id: string, value: unknown): void {
    const exec = this.live.get(id);
    if (!exec) throw notFound(id);
    if (exec.record.status !== 'running' || !exec.runtime) {
      throw new SidexError('NOT_RUNNING', `execution "${id}" is ${exec.record.status}, not running`, { status: exec.record.status });
    }
    let json: string;
    try {
      json = JSON.stringify(value ?? null);
    } catch (err) {
      throw new SidexError('INVALID_MESSAGE', `message is not JSON-serializable: ${(err as Error).message}`);
    }
    exec.runtime.send({ type: 'message', json });
  }

  /**
   * Sets a running execution's progress from the supervisor's side: what a
   * pipeline task's status is, for instance, is known to the server, not to
   * the code in the child. It is kept with the record, so it outlives the run.
   */
  setProgress(id: string, value: unknown): void {
    const exec = this.live.get(id);
    if (!exec || isTerminal(exec.record.status)) throw notFound(id);
    this.recordProgress(exec, value);
  }

  /**
   * Ends an execution whose code reported its own end by other means than
   * returning (Codebolt's actionBlockComplete, sideExecutionComplete): the
   * report is its outcome, and its process tree is then ended.
   */
  settle(id: string, settlement: ExternalSettlement): void {
    const exec = this.live.get(id);
    if (!exec) throw notFound(id);
    if (exec.isEnding || isTerminal(exec.record.status)) return;
    exec.outcome =
      'error' in settlement
        ? { kind: 'failed', error: { code: settlement.error.code ?? 'EXECUTION_FAILED', message: settlement.error.message, ...(settlement.error.stack ? { stack: settlement.error.stack } : {}) } }
        : { kind: 'result', value: settlement.result };
    void this.end(exec, Math.min(this.graceOf(exec), LEFTOVER_GRACE_MS));
  }

  /**
   * Frames of an execution's log; with follow, also what it writes until it
   * ends or `signal` aborts (a reader that went away must not hold the file).
   */
  async *logs(id: string, options: { follow?: boolean; signal?: AbortSignal } = {}): AsyncGenerator<LogFrame> {
    if (!this.live.has(id) && !(await this.store.get(id))) throw notFound(id);
    if (!options.follow) return yield* readLog(this.logFiles(id));
    const exec = this.live.get(id);
    const { signal } = options;
    const aborted = signal ? once(signal, 'abort') : new Promise<never>(() => {});
    yield* readLog(this.logFiles(id), async () => {
      if (!exec || isTerminal(exec.record.status) || signal?.aborted) return false;
      // New output or the end wakes the reader, once the index has it; the poll is a safety net.
      // The 'output' listener goes with the wait that lost the race: a quiet execution must not pile them up.
      const woken = new AbortController();
      try {
        await Promise.race([once(this, 'output', { signal: woken.signal }), exec.terminal.promise, sleep(LOG_FOLLOW_POLL_MS), aborted]);
      } finally {
        woken.abort();
      }
      await exec.capture?.indexed();
      return !signal?.aborted;
    });
  }

  /** Graceful shutdown: refuses new work, stops every execution with the stop protocol. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.pool.close();
    await Promise.all(
      [...this.live.values()].map((exec) =>
        this.stop(exec.id, { graceMs: options.graceMs ?? this.options.defaultGraceMs, reason: 'shutdown' }).catch(() => {}),
      ),
    );
    this.sampler.close();
    // Killed runtimes (the warm pool's) leave their cgroups once they have exited: a moment later at most.
    for (let tries = 0; !this.tracker.killRun() && tries < 50; tries++) await sleep(20);
    this.guardian.release();
    await Promise.all([removePath(this.scratchRoot), removePath(this.spareOutputRoot)]);
  }

  /** Resolves once the warm pool is full: the next starts cost no process boot. */
  warm(): Promise<void> {
    return this.pool.whenFull();
  }

  get runningCount(): number {
    return this.active;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  /** The guardian process that kills this run's trees if the engine dies; undefined while it is being replaced. */
  get guardianPid(): number | undefined {
    return this.guardian.pid;
  }

  logFiles(id: string): LogFiles {
    return logFilesOf(this.logDir, id);
  }

  // ---- lifecycle -------------------------------------------------------------

  private newRecord(spec: StartSpec): ExecutionRecord {
    return {
      id: newExecutionId(spec.prefix),
      kind: spec.kind,
      name: spec.name,
      ...(spec.dir ? { path: spec.dir } : {}),
      params: spec.params ?? {},
      ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
      ...(this.memoryLimitOf(spec) !== undefined ? { memoryLimitBytes: this.memoryLimitOf(spec) } : {}),
      outputLimitBytes: spec.outputLimitBytes ?? this.options.outputLimitBytes,
      ...((spec.pidsLimit ?? this.options.pidsLimit) ? { pidsLimit: spec.pidsLimit ?? this.options.pidsLimit } : {}),
      ...(spec.cpuLimit !== undefined ? { cpuLimit: spec.cpuLimit } : {}),
      status: 'queued',
      createdAt: Date.now(),
      memory: { current: 0, peak: 0 },
      cpuMicros: 0,
      ...emptyOutput(),
      ...(spec.resumedFrom ? { resumedFrom: spec.resumedFrom } : {}),
      source: spec.kind === 'inline' ? { type: 'inline', code: spec.code ?? '' } : { type: 'block', entry: spec.entry ?? '', ...(spec.dir ? { dir: spec.dir } : {}) },
      meta: spec.meta ?? {},
    };
  }

  /** A sandbox sees the system, sidex's code, the readable roots and its scratch directory; never the data directory. */
  private mountPlan(scratchDir: string): MountPlan {
    const sandbox = this.options.sandbox ?? {};
    return {
      readOnly: [...codePaths(), ...(sandbox.readOnlyPaths ?? [])],
      readWrite: [scratchDir, ...(sandbox.readWritePaths ?? [])],
      hidden: [this.options.dataDir, ...(sandbox.hiddenPaths ?? [])],
    };
  }

  private memoryLimitOf(spec: StartSpec): number | undefined {
    return spec.memoryLimitBytes ?? this.options.memoryLimitBytes;
  }

  private graceOf(exec: Execution): number {
    return exec.spec.graceMs ?? this.options.defaultGraceMs;
  }

  /** Appends to the execution's history after its earlier writes; a failure is reported, not thrown. */
  private note(exec: Execution, event: NewEvent): void {
    exec.enqueueWrite(() => this.store.appendEvent(exec.id, event)).catch((error: unknown) => {
      this.emit('storeError', { id: exec.id, error: error as Error });
    });
  }

  private claimSlot(exec: Execution): void {
    this.active++;
    exec.holdsSlot = true;
  }

  private async transition(exec: Execution, status: ExecutionRecord['status']): Promise<void> {
    exec.record.status = status;
    await this.save(exec, 1, statusEvent(exec.record));
    this.emit('status', { ...exec.record });
  }

  /**
   * Writes the record. A failing store is reported, never thrown: the
   * execution and its stop must go on, and every write is a whole record,
   * so the next one that succeeds catches the store up.
   */
  private async save(exec: Execution, attempts = 1, event?: NewEvent, record = exec.record): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await exec.persist((r) => this.store.update(r, event), record);
      } catch (err) {
        if (attempt >= attempts) {
          this.emit('storeError', { id: exec.id, error: err as Error });
          return;
        }
        await sleep(100 * 2 ** attempt);
      }
    }
  }

  private async launch(exec: Execution): Promise<void> {
    const { spec } = exec;
    await this.transition(exec, 'starting');
    let runtime: RuntimeProcess;
    try {
      runtime = await this.acquireRuntime(exec);
    } catch (err) {
      exec.outcome = { kind: 'startFailed', error: { code: err instanceof SidexError ? err.code : 'SPAWN_FAILED', message: (err as Error).message } };
      return this.finalize(exec, false);
    }
    if (!exec.stopReason) {
      try {
        exec.capture = this.captureOutput(exec, runtime);
      } catch (err) {
        // Out of file descriptors, or the data directory went away: the execution could not keep its output.
        exec.outcome = { kind: 'startFailed', error: { code: 'SPAWN_FAILED', message: `cannot capture output: ${(err as Error).message}` } };
      }
    }
    if (!exec.capture) {
      runtime.discard();
      return this.finalize(exec, false);
    }
    // From here to send(), nothing awaits: a stop sees either no runtime or a fully wired one.
    exec.runtime = runtime;
    const cwd = spec.kind === 'inline' || spec.inScratch ? runtime.scratchDir : blockDir(spec);
    exec.record.marker = runtime.marker;
    runtime.onMessage((message) => void this.onRuntimeMessage(exec, message));
    void runtime.exited.then(() => {
      if (!exec.stopReason) exec.endedByItself = true;
      void this.end(exec, Math.min(this.graceOf(exec), LEFTOVER_GRACE_MS));
    });
    runtime.send({
      type: 'run',
      executionId: exec.id,
      source:
        spec.kind === 'inline'
          ? { type: 'inline', code: spec.code ?? '', filename: path.join(cwd, 'inline.js') }
          : { type: 'block', entry: spec.entry ?? '' },
      paramsJson: JSON.stringify(exec.record.params ?? {}),
      ...(spec.resumeFrom !== undefined ? { resumeFromJson: JSON.stringify(spec.resumeFrom) } : {}),
      cwd,
      env: executionEnv(exec.id, spec.env),
    });
  }

  /** A booted runtime with the execution's own limits set, before its code runs. */
  private async acquireRuntime(exec: Execution): Promise<RuntimeProcess> {
    const { spec, record } = exec;
    const network = spec.network ?? this.options.sandbox?.network;
    const profile: RuntimeProfile = {
      ...(record.memoryLimitBytes ? { memoryLimitBytes: record.memoryLimitBytes } : {}),
      ...(record.outputLimitBytes ? { outputLimitBytes: record.outputLimitBytes } : {}),
      ...(record.pidsLimit ? { pidsLimit: record.pidsLimit } : {}),
      ...(network ? { network } : {}),
      ...(spec.kind === 'block' && !spec.inScratch ? { cwd: blockDir(spec) } : {}),
    };
    const limits = { memoryLimitBytes: record.memoryLimitBytes, pidsLimit: record.pidsLimit, cpuLimit: record.cpuLimit };
    const fileSize = this.limits.output === 'rlimit' ? fileSizeLimitFor(record.outputLimitBytes) : undefined;
    if (this.factory.fitsPool(profile, this.pooledProfile)) {
      const runtime = await this.pool.acquire();
      try {
        // Cheap file writes.
        runtime.limits?.apply(limits);
      } catch (err) {
        runtime.discard();
        throw err;
      }
      try {
        // ~4 ms of prlimit a process, for an output limit other than the pool's.
        await runtime.setFileSizeLimit(fileSize);
        return runtime;
      } catch {
        // Refused after all (a capability fitsPool could not foresee): a runtime booted with the limit.
        runtime.discard();
      }
    }
    const runtime = this.factory.spawn(profile);
    try {
      await runtime.ready;
      runtime.limits?.apply(limits);
    } catch (err) {
      runtime.discard();
      throw err;
    }
    return runtime;
  }

  private async onRuntimeMessage(exec: Execution, message: CheckedMessage): Promise<void> {
    const { record } = exec;
    switch (message.type) {
      case 'message':
        this.emit('message', { id: exec.id, value: message.value });
        return;
      case 'sideExecutionComplete':
        return this.settle(exec.id, { result: message.result });
      case 'sideExecutionError':
        return this.settle(exec.id, { error: reportedError(message.error, 'the code reported an error') });
      case 'started':
        if (record.status !== 'starting' || exec.isEnding) return;
        record.startedAt = Date.now();
        this.armLimits(exec);
        await this.transition(exec, 'running');
        exec.settledStart.resolve();
        this.enforceOutputLimit(exec);
        return;
      case 'checkpoint':
        record.checkpoint = message.value;
        this.emit('checkpoint', { id: exec.id, value: record.checkpoint });
        await this.save(exec, 1, { time: Date.now(), type: 'checkpoint', data: record.checkpoint });
        return;
      case 'progress':
        return this.recordProgress(exec, message.value);
      case 'startFailed':
        exec.outcome ??= { kind: 'startFailed', error: message.error };
        return;
      case 'result':
        exec.outcome ??= { kind: 'result', value: message.value };
        record.cpuMicros = Math.max(record.cpuMicros, message.cpuMicros);
        return;
      case 'failed':
        exec.outcome ??= { kind: 'failed', error: message.error };
        record.cpuMicros = Math.max(record.cpuMicros, message.cpuMicros);
        return;
      case 'stopped':
        exec.outcome ??= { kind: 'stopped', value: message.value };
        record.cpuMicros = Math.max(record.cpuMicros, message.cpuMicros);
        return;
    }
  }

  private recordProgress(exec: Execution, value: unknown): void {
    exec.record.progress = value;
    this.emit('progress', { id: exec.id, value });
  }

  private armLimits(exec: Execution): void {
    const { record } = exec;
    if (record.timeoutMs !== undefined && record.timeoutMs > 0) {
      exec.timeoutTimer = setTimeout(() => this.requestStop(exec, 'timeout', this.graceOf(exec)), record.timeoutMs);
    }
    const runtime = exec.runtime;
    if (!runtime) return;
    const limits = runtime.limits;
    // Where a cgroup holds the memory, its count is the one the limit applies to.
    const kernelMemory = limits?.has('memory') ?? false;
    this.sampler.add((exec.sampling = {
      tree: runtime.tree,
      ...(limits && kernelMemory ? { memory: () => limits.memoryUsage() } : {}),
      onSample: (bytes, cpu) => {
        record.memory.current = bytes;
        record.memory.peak = Math.max(record.memory.peak, bytes);
        if (cpu !== undefined) record.cpuMicros = Math.max(record.cpuMicros, cpu);
        // The kernel has acted already (killed a process, refused a fork): the execution ends.
        const events = limits?.events();
        if (events?.oomKills) {
          exec.memoryLimitBy ??= 'kernel';
          this.requestStop(exec, 'memory_limit', MEMORY_LIMIT_GRACE_MS);
        } else if (events?.pidsLimitHits) {
          this.requestStop(exec, 'pids_limit', PIDS_LIMIT_GRACE_MS);
        } else if (!kernelMemory && record.memoryLimitBytes && bytes > record.memoryLimitBytes) {
          exec.memoryLimitBy ??= 'sampled';
          this.requestStop(exec, 'memory_limit', MEMORY_LIMIT_GRACE_MS);
        }
      },
    }));
  }

  /** First reason wins; a later stop may only shorten the grace period. */
  private requestStop(exec: Execution, reason: StopReason, graceMs: number): void {
    if (isTerminal(exec.record.status)) return;
    if (exec.isEnding) {
      exec.protocol?.shorten(graceMs);
      return;
    }
    exec.stopReason = reason;
    this.note(exec, { time: Date.now(), type: 'stop_requested', data: { reason, graceMs } });
    switch (exec.record.status) {
      case 'queued': {
        // Stops arriving until its terminal record is written find it ending and wait for that record: one outcome.
        const index = this.queue.indexOf(exec);
        if (index >= 0) this.queue.splice(index, 1);
        void this.finalize(exec, false);
        return;
      }
      case 'starting':
        // Nothing of it runs yet: the half-started tree is killed at once.
        if (exec.runtime) void this.end(exec, 0);
        return; // otherwise launch() sees the stop once a runtime is in hand
      default:
        void this.end(exec, graceMs);
    }
  }

  /** The runtime's output files become the execution's log, followed from here on. */
  private captureOutput(exec: Execution, runtime: RuntimeProcess): OutputCapture {
    const files = this.logFiles(exec.id);
    claimStdioFiles(runtime.output.files, files);
    runtime.output.begin(files.index, this.options.tailBytes, (chunk) => {
      this.emitOutput(exec, chunk);
      this.enforceOutputLimit(exec);
    });
    return runtime.output;
  }

  /**
   * Only once it is recorded running: a flood in its first moments ends the
   * execution, not its start (checked again when it becomes running).
   */
  private enforceOutputLimit(exec: Execution): void {
    const limit = exec.record.outputLimitBytes;
    if (limit && exec.record.status === 'running' && (exec.capture?.seenBytes ?? 0) > limit) {
      this.requestStop(exec, 'output_limit', OUTPUT_LIMIT_GRACE_MS);
    }
  }

  /** Runs the stop protocol (or collects the leftovers of a natural end) and finalizes. */
  private end(exec: Execution, graceMs: number): Promise<void> {
    const runtime = exec.runtime;
    if (!runtime) return Promise.resolve();
    if (exec.protocol) {
      exec.protocol.shorten(graceMs);
      return exec.ending ?? Promise.resolve();
    }
    const protocol = (exec.protocol = new StopProtocol(runtime, graceMs));
    this.endsInFlight++;
    exec.ending = (async () => {
      try {
        // The stop is sent before 'stopping' is written: the record write must not delay it.
        const ran = protocol.run();
        if (exec.stopReason && exec.record.status === 'running') await this.transition(exec, 'stopping');
        const forced = await ran;
        exec.record.stoppedAt = Date.now();
        await runtime.disconnected;
        await exec.capture?.finish();
        await this.finalize(exec, forced);
      } finally {
        this.endsInFlight--;
      }
    })();
    return exec.ending;
  }

  private async finalize(exec: Execution, forced: boolean): Promise<void> {
    const { record, runtime } = exec;
    clearTimeout(exec.timeoutTimer);
    if (exec.sampling) {
      this.sampler.delete(exec.sampling);
      this.sampler.sample(exec.sampling); // the tree's final CPU time
    }
    const output = exec.snapshot();
    if (runtime) this.limitVerdict(exec, runtime, output.stderr.text);
    const endedAt = Date.now();
    // The ended record becomes the live one only once it is durable: nobody
    // (a status read, a wait) is told of an end the store could still lose.
    const ended: ExecutionRecord = {
      ...record,
      memory: { ...record.memory, current: 0 },
      ...finalFields({
        stopReason: exec.stopReason,
        outcome: exec.outcome,
        exit: runtime?.exit,
        stderrTail: output.stderr.text,
        lastCheckpoint: record.checkpoint,
        timeoutMs: record.timeoutMs,
        memoryLimitBytes: record.memoryLimitBytes,
        outputLimitBytes: record.outputLimitBytes,
        pidsLimit: record.pidsLimit,
        memoryPeakBytes: record.memory.peak,
        memoryLimitBy: exec.memoryLimitBy,
      }),
      stdout: output.stdout,
      stderr: output.stderr,
      endedAt,
      ...(exec.stopReason ? { stopReason: exec.stopReason, forced, stoppedAt: record.stoppedAt ?? endedAt } : {}),
      ...(runtime?.exit ? { exitCode: runtime.exit.code, signal: runtime.exit.signal } : {}),
    };
    await runtime?.cleanup();
    // The terminal record is the one that matters most: a passing outage gets a few tries.
    await this.save(exec, TERMINAL_WRITE_ATTEMPTS, statusEvent(ended), ended);
    Object.assign(record, ended);
    this.live.delete(exec.id);
    this.decoders.delete(`${exec.id}:stdout`);
    this.decoders.delete(`${exec.id}:stderr`);
    this.emit('status', { ...record });
    exec.terminal.resolve(record);
    exec.settledStart.resolve();
    if (exec.holdsSlot) {
      exec.holdsSlot = false;
      this.active--;
      this.pump();
    }
  }

  /**
   * A limit may have ended the code without the engine asking: the kernel's
   * OOM killer, a refused fork, V8 at its heap limit, the file size limit.
   * The kernel's counters and the runtime's death tell, read before the
   * cgroups go. The first reason still wins: a stop already asked for stays.
   */
  private limitVerdict(exec: Execution, runtime: RuntimeProcess, stderrTail: string): void {
    const { record } = exec;
    const peak = runtime.limits?.memoryPeak();
    if (peak !== undefined) record.memory.peak = Math.max(record.memory.peak, peak);
    if (exec.stopReason || !exec.capture) return;
    const events = runtime.limits?.events();
    const limit = record.outputLimitBytes;
    if (events?.oomKills) {
      exec.stopReason = 'memory_limit';
      exec.memoryLimitBy = 'kernel';
    } else if (heapOverflowed(runtime.exit, stderrTail)) {
      exec.stopReason = 'memory_limit';
      exec.memoryLimitBy = 'heap';
    } else if (events?.pidsLimitHits) {
      exec.stopReason = 'pids_limit';
    } else if (limit && exec.capture.totalBytes > limit) {
      exec.stopReason = 'output_limit';
    }
  }

  private pump(): void {
    while (!this.closing && this.active < this.options.maxConcurrent && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.claimSlot(next);
      void this.launch(next);
    }
  }

  private emitOutput(exec: Execution, chunk: OutputChunk): void {
    if (this.listenerCount('output') === 0) return;
    const key = `${exec.id}:${chunk.stream}`;
    let decoder = this.decoders.get(key);
    if (!decoder) this.decoders.set(key, (decoder = new StringDecoder('utf8')));
    const data = decoder.write(chunk.data);
    if (data) this.emit('output', { id: exec.id, stream: chunk.stream, data, time: chunk.time });
  }
}

/** Limits go to kernel files: a bad value is refused before anything starts (services check the same with their schemas). */
function checkLimits(spec: StartSpec): void {
  const checks: [keyof StartSpec, number | undefined, (n: number) => boolean, string][] = [
    ['memoryLimitBytes', spec.memoryLimitBytes, (n) => Number.isSafeInteger(n) && n > 0, 'a positive whole number of bytes'],
    ['outputLimitBytes', spec.outputLimitBytes, (n) => Number.isSafeInteger(n) && n > 0, 'a positive whole number of bytes'],
    ['pidsLimit', spec.pidsLimit, (n) => Number.isInteger(n) && n >= MIN_PIDS_LIMIT && n <= MAX_PIDS_LIMIT, `a whole number from ${MIN_PIDS_LIMIT} to ${MAX_PIDS_LIMIT}`],
    ['cpuLimit', spec.cpuLimit, (n) => Number.isFinite(n) && n >= MIN_CPU_LIMIT && n <= MAX_CPU_LIMIT, `a number of cores from ${MIN_CPU_LIMIT} to ${MAX_CPU_LIMIT}`],
  ];
  for (const [field, value, valid, what] of checks) {
    if (value !== undefined && (typeof value !== 'number' || !valid(value))) {
      throw new SidexError('INVALID_ARGUMENT', `${field}: must be ${what} (got ${String(value)})`, { field });
    }
  }
}

function blockDir(spec: StartSpec): string {
  return spec.dir ?? path.dirname(spec.entry ?? '.');
}

/** A network narrower than the host's needs a sandbox: never a silent run with the whole network. */
function checkNetworkIsolation(network: SandboxNetwork | undefined, isolation: Isolation, field: string): void {
  if (network === undefined || network === 'all' || isolation.mode === 'sandbox') return;
  throw new SidexError('NETWORK_UNAVAILABLE', `${field}: only "all" is possible without a sandbox (isolation is process: ${isolation.reason})`, { field });
}

function notFound(id: string): SidexError {
  return new SidexError('EXECUTION_NOT_FOUND', `no execution with id "${id}"`);
}
