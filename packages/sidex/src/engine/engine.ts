import type { ProcessInfo } from '@sidex/protocol';
import { EventEmitter, once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { SidexError } from '../errors.js';
import type { CheckedMessage } from './pool/runtime-messages.js';
import type { ExecutionStore, ListFilter, ListPage } from '../store/execution-store.js';
import { Admission } from './admission.js';
import { buildBaseEnv, DEFAULT_ENV_ALLOW, executionEnv } from './child-env.js';
import { Execution, type Outcome, type StartSpec } from './execution.js';
import type { ExecutionEngine } from './execution-engine.js';
import { finalFields, recordedExit, retryPending, statusEvent } from './final-status.js';
import { enforceOutputLimit, limitVerdict, watchLimits } from './limits/limit-watch.js';
import { ResourceSampler } from './limits/resource-sampler.js';
import type { OutputCapture, OutputChunk } from './output/capture.js';
import { followLog } from './output/log-follow.js';
import type { LogFrame, StreamName } from './output/log-format.js';
import { logFilesOf, SPARE_OUTPUT_DIR, type LogFiles } from './output/log-files.js';
import { readLog } from './output/log-reader.js';
import { OutputDecoders } from './output/output-decoder.js';
import { RuntimeFactory, type PermissionOptions, type RuntimeProfile } from './pool/runtime-factory.js';
import { removePath } from './pool/remove-path.js';
import type { RuntimeProcess } from './pool/runtime-process.js';
import { RuntimeSource } from './pool/runtime-source.js';
import { WarmPool } from './pool/warm-pool.js';
import { isTerminal, type ExecutionRecord, type StopReason } from '../model/record.js';
import { RecordWrites } from './record-writes.js';
import { StopProtocol } from './stop/stop-protocol.js';
import { checkpointEvent } from './checkpoint-history.js';
import { reportedError } from './reported-error.js';
import { blockDir, checkNetworkIsolation, checkStart, newRecord } from './start-spec.js';
import type { GuardianRestart, RunGuardian, StartGuardian } from './run-guardian.js';
import { dataKeyOf, newRunId } from './tree/marker.js';
import { describeProcesses } from './tree/process-list.js';
import type { TreeTracker } from './tree/tracked-tree.js';
import { createTreeTracker, type TrackingMode } from './tree/tree-tracker.js';
import { findProgram, resolveIsolation, type Isolation, type IsolationRequest } from './sandbox/isolation.js';
import type { CgroupVersion } from './tree/cgroup-paths.js';
import type { SandboxNetwork } from './sandbox/launch.js';
import { codePaths, type MountPlan } from './sandbox/mount-plan.js';
import type { UidRange } from './sandbox/sandbox-user.js';
import { MAX_LINE_BYTES, type ExecSource } from '../runtime/messages.js';
import { MAX_VALUE_DEPTH } from '../runtime/json-depth.js';
import { notACommand, StdinChannel, stdinGone } from './command/stdin-channel.js';
import { prepareInline } from '../runtime/inline/prepare-inline.js';
import { INLINE_DISPLAY_NAME } from './inline-syntax.js';

/** How often a cluster worker writes its running executions' sampled memory, CPU and output tails to the store. */
const LIVE_SAMPLE_WRITE_MS = 1000;

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
  /** The worker that runs this engine, named in each record it writes (a cluster's `sidex worker`). */
  worker?: string;
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
  /** Under a root server: one host uid every sandbox runs as (sandbox-user.ts)... */
  uid?: number;
  /** ...or the range each runtime is given a uid of its own from (default DEFAULT_SANDBOX_UIDS). */
  uids?: UidRange;
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
  /** The same output as written, byte for byte (a cluster's worker keeps its log in Redis with these); `output` is its text. */
  outputBytes: [LogFrame & { id: string }];
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
export class Engine extends EventEmitter<EngineEvents> implements ExecutionEngine {
  readonly store: ExecutionStore;
  readonly tracker: TreeTracker;
  private readonly options: Required<Omit<EngineOptions, 'store' | 'guardian' | 'worker' | 'memoryLimitBytes' | 'env' | 'permissions' | 'isolation' | 'sandbox'>> & EngineOptions;
  /** The isolation in force, and why it is not `sandbox` when it is not. */
  readonly isolation: Isolation;
  /** Which limits the kernel enforces on this machine, and how. */
  readonly limits: EngineLimits;
  private readonly live = new Map<string, Execution>();
  private readonly admission: Admission<Execution>;
  private readonly writes: RecordWrites;
  private closing = false;
  private readonly pool: WarmPool;
  /** Executions whose stop protocol or leftover collection is running: the pool's refill steps aside for them. */
  private endsInFlight = 0;
  private readonly sampler: ResourceSampler;
  /** A cluster worker's periodic writes of its running records (writeLiveSamples). */
  private readonly liveWrites: NodeJS.Timeout | undefined;
  private readonly samplesWritten = new WeakMap<Execution, string>();
  private readonly factory: RuntimeFactory;
  private readonly scratchRoot: string;
  /** Output files of runtimes no execution has claimed yet: inside the log directory, so a claim is a rename. */
  private readonly spareOutputRoot: string;
  private readonly runtimes: RuntimeSource;
  private readonly guardian: RunGuardian;
  private readonly logDir: string;
  private readonly decoders = new OutputDecoders();
  /** Work left once an end has been answered (afterAnswer). */
  private readonly answered = new Set<Promise<void>>();
  private readonly requestStop = (exec: Execution, reason: StopReason, graceMs: number) => this.stopWith(exec, reason, graceMs);

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
    // A data directory this makes is the server's user's alone (what exists is left as it is).
    fs.mkdirSync(this.logDir, { recursive: true, mode: 0o700 });
    this.store = options.store;
    this.writes = new RecordWrites(this.store, (id, error) => this.emit('storeError', { id, error }));
    this.admission = new Admission(this.options.maxConcurrent, this.options.maxQueued);
    this.isolation = resolveIsolation(options.isolation ?? 'auto', {
      ...(options.sandbox?.uid !== undefined ? { uid: options.sandbox.uid } : {}),
      ...(options.sandbox?.uids ? { uids: options.sandbox.uids } : {}),
    });
    checkNetworkIsolation(options.sandbox?.network, this.isolation, 'network');
    const trackerOptions = { mode: this.options.tracking, dataKey: dataKeyOf(dataDir), runId: newRunId(), kernelLimits: this.options.kernelLimits };
    this.tracker = createTreeTracker(trackerOptions, 'prepare');
    const kinds = this.tracker.limits.kinds;
    const prlimit = this.options.kernelLimits ? findProgram('prlimit') : undefined;
    this.limits = { memory: kinds.memory ?? 'sampled', pids: kinds.pids ?? 'none', cpu: kinds.cpu ?? 'none', output: prlimit ? 'rlimit' : 'sampled' };
    this.guardian = options.guardian({ ...trackerOptions, mode: this.tracker.kind }, (restart) => this.emit('guardianRestarted', restart));
    this.sampler = new ResourceSampler(this.options.sampleIntervalMs);
    if (options.worker) this.liveWrites = setInterval(() => this.writeLiveSamples(), LIVE_SAMPLE_WRITE_MS).unref();
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
    const pooledProfile: RuntimeProfile = {
      ...(this.options.memoryLimitBytes ? { memoryLimitBytes: this.options.memoryLimitBytes } : {}),
      ...(this.options.outputLimitBytes ? { outputLimitBytes: this.options.outputLimitBytes } : {}),
      ...(this.options.pidsLimit ? { pidsLimit: this.options.pidsLimit } : {}),
      ...(options.sandbox?.network ? { network: options.sandbox.network } : {}),
    };
    this.pool = new WarmPool(() => this.factory.spawn(pooledProfile), this.options.poolSize, () => this.endsInFlight > 0);
    this.runtimes = new RuntimeSource(this.factory, this.pool, pooledProfile, this.limits.output === 'rlimit', options.sandbox?.network);
    this.pool.start();
  }

  // ---- public API ----------------------------------------------------------

  /**
   * Answers once the execution runs, waits in the queue, or has failed to start
   * (the returned record is then `failed`). Bad input throws and changes nothing.
   */
  async start(spec: StartSpec): Promise<ExecutionRecord> {
    if (this.closing) throw new SidexError('SHUTTING_DOWN', 'the server is shutting down and accepts no new executions');
    const prepared = checkStart(spec, this.isolation, {
      hidden: [this.options.dataDir, ...(this.options.sandbox?.hiddenPaths ?? [])],
      childProcessesForbidden: this.options.permissions !== undefined && !this.options.permissions.allowChildProcess,
    });
    this.admission.checkRoom();
    const exec = new Execution(newRecord(spec, this.options), spec);
    exec.prepared = prepared;
    // A cluster's server wrote `queued` in its history already.
    const history = spec.queued ? [] : [statusEvent(exec.record)];
    // With a slot free, the record is written `starting` at once (queued and
    // starting in its history), while a warm runtime is taken: one store round
    // trip before the code runs. A runtime booted for it waits for the record.
    const slot = this.admission.claim(exec);
    if (slot) history.push(statusEvent(Object.assign(exec.record, { status: 'starting' })));
    const warm = slot && this.runtimes.hasIdle ? this.runtimes.warm(exec) : undefined;
    warm?.catch(() => {}); // launch() reports it
    const statuses = [...(slot ? [{ ...exec.record, status: 'queued' as const }] : []), { ...exec.record }];
    if (spec.queued) {
      // A cluster's server stored it already: the move to `starting` goes with its next write.
      this.writes.carry(exec, history);
    } else {
      try {
        await this.writes.insert(exec, history);
      } catch (err) {
        void warm?.then((runtime) => runtime?.discard(), () => {});
        if (slot) this.releaseSlot(exec);
        throw err;
      }
    }
    this.live.set(exec.id, exec);
    // Heard of once stored: `queued` is, whoever wrote it; a carried `starting` with the write that carries it.
    const heard = spec.queued ? 1 : statuses.length;
    exec.unheard = statuses.slice(heard);
    for (const record of statuses.slice(0, heard)) this.emit('status', record);
    if (slot || this.admission.admit(exec)) {
      void this.launch(exec, warm);
      await exec.settledStart.promise;
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

  /** The stop protocol of docs/architecture.md; resolves when no process of the tree remains. */
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
   * Writes bytes to a running command's open stdin, and/or closes it. Answers
   * once the runtime has them queued, not once the program has read them: at
   * most MAX_STDIN_PENDING_BYTES may wait unread (STDIN_FULL beyond).
   */
  async writeStdin(id: string, data: Buffer, options: { close?: boolean } = {}): Promise<{ pendingBytes: number; open: boolean }> {
    const exec = this.live.get(id);
    const record = exec?.record ?? (await this.store.get(id));
    if (!record) throw notFound(id);
    if (record.kind !== 'command') throw notACommand(id, record.kind);
    if (!exec?.stdin || !exec.runtime || record.status !== 'running') throw stdinGone(id, record.status);
    const message = exec.stdin.write(data, options.close === true);
    exec.runtime.send({ type: 'stdin', ...message });
    return { pendingBytes: exec.stdin.pendingBytes, open: exec.stdin.isOpen };
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
    const followed = exec && {
      ended: () => isTerminal(exec.record.status),
      terminal: exec.terminal.promise,
      indexed: async () => exec.capture?.indexed(),
    };
    yield* followLog(this.logFiles(id), followed, (signal) => once(this, 'output', { signal }), options.signal);
  }

  /** Graceful shutdown: refuses new work, stops every execution with the stop protocol. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.admission.close();
    const pooled = this.pool.close();
    await Promise.all(
      [...this.live.values()].map((exec) =>
        this.stop(exec.id, { graceMs: options.graceMs ?? this.options.defaultGraceMs, reason: 'shutdown' }).catch(() => {}),
      ),
    );
    clearInterval(this.liveWrites);
    this.sampler.close();
    await Promise.all([...this.answered, pooled]);
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
    return this.admission.running;
  }

  get queuedCount(): number {
    return this.admission.queued;
  }

  /** It runs its executions itself: no workers. */
  workers(): undefined {
    return undefined;
  }

  /** Executions it runs at once; more wait in its queue. */
  get maxConcurrent(): number {
    return this.options.maxConcurrent;
  }

  /** Booted runtimes waiting for an execution. */
  get idleRuntimes(): number {
    return this.pool.idleCount;
  }

  /** The processes of a live execution's tree now; undefined once it has ended (or was never here). */
  processes(id: string): ProcessInfo[] | undefined {
    const runtime = this.live.get(id)?.runtime;
    return runtime ? describeProcesses(runtime.tree.members()) : undefined;
  }

  /** Memory of every live execution's tree now, bytes (as last sampled). */
  get liveMemoryBytes(): number {
    let total = 0;
    for (const exec of this.live.values()) total += exec.record.memory.current;
    return total;
  }

  /** The guardian process that kills this run's trees if the engine dies; undefined while it is being replaced. */
  get guardianPid(): number | undefined {
    return this.guardian.pid;
  }

  logFiles(id: string): LogFiles {
    return logFilesOf(this.logDir, id);
  }

  // ---- lifecycle -------------------------------------------------------------

  /** A sandbox sees the system, sidex's code, the readable roots and its scratch directory; never the data directory. */
  private mountPlan(scratchDir: string): MountPlan {
    const sandbox = this.options.sandbox ?? {};
    return {
      readOnly: [...codePaths(), ...(sandbox.readOnlyPaths ?? [])],
      readWrite: [scratchDir, ...(sandbox.readWritePaths ?? [])],
      hidden: [this.options.dataDir, ...(sandbox.hiddenPaths ?? [])],
    };
  }

  private graceOf(exec: Execution): number {
    return exec.spec.graceMs ?? this.options.defaultGraceMs;
  }

  /** To a passing state (starting, running, stopping): the end that follows is the durable write that matters. */
  private async transition(exec: Execution, status: ExecutionRecord['status']): Promise<void> {
    exec.record.status = status;
    await this.writes.save(exec, statusEvent(exec.record), { relaxed: true });
    this.announce(exec, { ...exec.record });
  }

  /** A status event, after those the execution's last write carried (RecordWrites.carry). */
  private announce(exec: Execution, record: ExecutionRecord): void {
    for (const earlier of exec.unheard.splice(0)) this.emit('status', earlier);
    this.emit('status', record);
  }

  /** `warm`: a runtime start() took from the pool while it wrote the record. */
  private async launch(exec: Execution, warm?: Promise<RuntimeProcess | undefined>): Promise<void> {
    const { spec } = exec;
    if (exec.record.status === 'queued') await this.transition(exec, 'starting');
    let runtime: RuntimeProcess;
    try {
      runtime = warm ? ((await warm) ?? (await this.runtimes.boot(exec))) : await this.runtimes.take(exec);
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
      void runtime.discard();
      return this.finalize(exec, false);
    }
    // From here to send(), nothing awaits: a stop sees either no runtime or a fully wired one.
    exec.runtime = runtime;
    const cwd = spec.kind === 'command' ? (spec.cwd ?? runtime.scratchDir) : spec.kind === 'inline' || spec.inScratch ? runtime.scratchDir : blockDir(spec);
    exec.record.marker = runtime.marker;
    if (spec.kind === 'command') exec.stdin = new StdinChannel(exec.id, spec.stdin?.open === true, spec.stdin?.data?.length ?? 0);
    runtime.onMessage((message) => void this.onRuntimeMessage(exec, message));
    void runtime.exited.then(() => {
      if (!exec.stopReason) exec.endedByItself = true;
      void this.end(exec, Math.min(this.graceOf(exec), LEFTOVER_GRACE_MS));
    });
    runtime.send({
      type: 'run',
      executionId: exec.id,
      source: runSource(exec, cwd),
      paramsJson: JSON.stringify(exec.record.params ?? {}),
      ...(spec.resumeFrom !== undefined ? { resumeFromJson: JSON.stringify(spec.resumeFrom) } : {}),
      cwd,
      env: executionEnv(exec.id, spec.env),
    });
  }

  private async onRuntimeMessage(exec: Execution, message: CheckedMessage): Promise<void> {
    const { record } = exec;
    switch (message.type) {
      case 'message':
        this.emit('message', { id: exec.id, value: message.value });
        return;
      case 'exited':
        if (exec.spec.kind !== 'command') return;
        exec.programExit = { code: message.code, signal: message.signal as NodeJS.Signals | null };
        exec.stdin?.end();
        record.cpuMicros = Math.max(record.cpuMicros, message.cpuMicros);
        return;
      case 'stdinWritten':
        exec.stdin?.taken(message.bytes);
        return;
      case 'oversize':
        // Nothing legitimate comes near the bound: the code wrote to the channel itself.
        return this.settle(exec.id, { error: { code: 'VALUE_TOO_LARGE', message: `the code wrote ${message.bytes} bytes without an end of line to its channel to sidex, more than a message may hold (${MAX_LINE_BYTES} bytes): they were dropped` } });
      case 'tooDeep':
        // The runtime refuses such values itself: the code wrote to the channel itself.
        return this.settle(exec.id, { error: { code: 'VALUE_TOO_DEEP', message: `the code wrote a message to its channel to sidex nested deeper than ${MAX_VALUE_DEPTH} levels of arrays and objects: it was dropped` } });
      case 'sideExecutionComplete':
        return this.settle(exec.id, { result: message.result });
      case 'sideExecutionError':
        return this.settle(exec.id, { error: reportedError(message.error, 'the code reported an error') });
      case 'started':
        if (record.status !== 'starting' || exec.isEnding) return;
        record.startedAt = Date.now();
        watchLimits(exec, this.sampler, this.graceOf(exec), this.requestStop);
        await this.transition(exec, 'running');
        exec.settledStart.resolve();
        enforceOutputLimit(exec, this.requestStop);
        return;
      case 'checkpoint': {
        record.checkpoint = message.value;
        this.emit('checkpoint', { id: exec.id, value: record.checkpoint });
        const event = checkpointEvent(exec.checkpointsNoted, message.value, message.bytes);
        if (event) exec.checkpointsNoted++;
        await this.writes.save(exec, event);
        return;
      }
      case 'progress':
        return this.recordProgress(exec, message.value);
      case 'partial':
        exec.stopPartial = message.value;
        return;
      case 'startFailed':
        return this.reported(exec, { kind: 'startFailed', error: message.error });
      case 'result':
        record.cpuMicros = Math.max(record.cpuMicros, message.cpuMicros);
        return this.reported(exec, { kind: 'result', value: message.value });
      case 'failed':
        record.cpuMicros = Math.max(record.cpuMicros, message.cpuMicros);
        return this.reported(exec, { kind: 'failed', error: message.error });
      case 'stopped':
        record.cpuMicros = Math.max(record.cpuMicros, message.cpuMicros);
        return this.reported(exec, { kind: 'stopped', value: message.value });
    }
  }

  /**
   * The first outcome its runtime reports is the execution's. The runtime
   * exits right after; one that does not (an exit listener that never
   * returns, or code that wrote the report to the channel itself and runs
   * on) has its tree ended once the grace period has passed. Stops, its
   * timeout and its limits end it sooner (stopWith).
   */
  private reported(exec: Execution, outcome: Outcome): void {
    if (exec.outcome) return;
    exec.outcome = outcome;
    const runtime = exec.runtime;
    if (!runtime || exec.protocol) return;
    const lingering = setTimeout(() => void this.end(exec, Math.min(this.graceOf(exec), LEFTOVER_GRACE_MS)), this.graceOf(exec)).unref();
    void runtime.exited.then(() => clearTimeout(lingering));
  }

  private recordProgress(exec: Execution, value: unknown): void {
    exec.record.progress = value;
    this.emit('progress', { id: exec.id, value });
  }

  /** First reason wins; a later stop may only shorten the grace period. */
  private stopWith(exec: Execution, reason: StopReason, graceMs: number): void {
    if (isTerminal(exec.record.status)) return;
    if (exec.isEnding) {
      // A stop under way is only shortened. An outcome reported while the
      // tree lives on decides the status, but a stop still ends the tree.
      void this.end(exec, graceMs);
      return;
    }
    exec.stopReason = reason;
    this.writes.note(exec, { time: Date.now(), type: 'stop_requested', data: { reason, graceMs } });
    switch (exec.record.status) {
      case 'queued': {
        // Stops arriving until its terminal record is written find it ending and wait for that record: one outcome.
        this.admission.withdraw(exec);
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
    runtime.output.begin(this.logFiles(exec.id), this.options.tailBytes, (chunk) => {
      this.emitOutput(exec, chunk);
      enforceOutputLimit(exec, this.requestStop);
    });
    return runtime.output;
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

  /**
   * A cluster's servers read a running execution's status from the store,
   * where its record is otherwise that of its last transition: a worker
   * writes there, when they changed, what its sampler has measured (memory,
   * CPU) and the output so far (the tails a status shows). An ending
   * execution is left to its terminal write, which lands after any of these
   * (one write chain per execution). The tails are kept on the live record,
   * so that its other writes meanwhile (checkpoints, progress) carry them too
   * rather than putting back the empty ones of its start.
   */
  private writeLiveSamples(): void {
    for (const exec of this.live.values()) {
      const { record } = exec;
      const sample = `${record.memory.current}/${record.memory.peak}/${record.cpuMicros}/${exec.capture?.seenBytes ?? 0}`;
      if (record.status !== 'running' || exec.isEnding || this.samplesWritten.get(exec) === sample) continue;
      this.samplesWritten.set(exec, sample);
      const { stdout, stderr } = exec.snapshot();
      Object.assign(record, { stdout, stderr });
      void this.writes.save(exec, undefined, { relaxed: true });
    }
  }

  private async finalize(exec: Execution, forced: boolean): Promise<void> {
    const { record, runtime } = exec;
    clearTimeout(exec.timeoutTimer);
    if (exec.sampling) this.sampler.finish(exec.sampling);
    const output = exec.snapshot();
    if (runtime) limitVerdict(exec, runtime, output.stderr.text);
    const endedAt = Date.now();
    // A command's record holds its program's exit; the runtime around it only reports it.
    const exit = exec.programExit ?? recordedExit(runtime?.exit, exec.outcome, forced);
    // The ended record becomes the live one only once it is durable: nobody
    // (a status read, a wait) is told of an end the store could still lose.
    const ended: ExecutionRecord = {
      ...record,
      memory: { ...record.memory, current: 0 },
      ...finalFields({
        stopReason: exec.stopReason,
        outcome: exec.outcome,
        exit,
        stderrTail: output.stderr.text,
        lastCheckpoint: record.checkpoint,
        stopPartial: exec.stopPartial,
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
      ...(exit ? { exitCode: exit.code, signal: exit.signal } : {}),
    };
    const retry = exec.spec.retryFollows && ended.status === 'failed' && !exec.stopReason ? retryPending(ended) : undefined;
    const last = retry?.record ?? ended;
    // The terminal record is the one that matters most: a passing outage gets a few tries.
    await this.writes.save(exec, retry?.event ?? statusEvent(ended), { attempts: TERMINAL_WRITE_ATTEMPTS, record: last });
    Object.assign(record, last);
    this.live.delete(exec.id);
    this.decoders.forget(exec.id);
    runtime?.giveBack();
    // Its tree is gone and its counters are read: its scratch directory, files
    // and cgroups go once whoever waited for the end has been answered. Nothing
    // promises them gone by then, and removing a sandbox's scratch directory
    // (a mount point in the namespace just ended) took ~0.3 ms of every stop.
    // Scheduled before the listeners run: one that throws must not keep them.
    if (runtime) this.afterAnswer(() => runtime.letGo());
    this.announce(exec, { ...record });
    exec.terminal.resolve(record);
    exec.settledStart.resolve();
    this.releaseSlot(exec);
  }

  /** Runs `work` on a later turn of the event loop, after the answers now due; close() waits for it. */
  private afterAnswer(work: () => Promise<void>): void {
    // Removal is best effort (removePath, removeCgroupTree never throw): nothing here may become an unhandled rejection.
    const done = new Promise<void>((resolve) => setImmediate(resolve)).then(work).catch(() => {});
    this.answered.add(done);
    void done.then(() => this.answered.delete(done));
  }

  private releaseSlot(exec: Execution): void {
    for (const next of this.admission.release(exec)) void this.launch(next);
  }

  private emitOutput(exec: Execution, chunk: OutputChunk): void {
    if (this.listenerCount('outputBytes') > 0) this.emit('outputBytes', { id: exec.id, ...chunk });
    if (this.listenerCount('output') === 0) return;
    const data = this.decoders.decode(exec.id, chunk);
    if (data) this.emit('output', { id: exec.id, stream: chunk.stream, data, time: chunk.time });
  }
}

/** What the runtime is told to run. */
function runSource({ spec, prepared }: Execution, cwd: string): ExecSource {
  switch (spec.kind) {
    case 'inline':
      return { type: 'inline', ...(prepared ?? prepareInline(spec.code ?? '')), filename: path.join(cwd, 'inline.js'), displayName: spec.filename ?? INLINE_DISPLAY_NAME };
    case 'command': {
      const data = spec.stdin?.data;
      const stdin = spec.stdin ? { ...(data?.length ? { base64: data.toString('base64') } : {}), open: spec.stdin.open === true } : undefined;
      return { type: 'command', argv: spec.argv ?? [], ...(stdin ? { stdin } : {}) };
    }
    default:
      return { type: 'block', entry: spec.entry ?? '' };
  }
}

function notFound(id: string): SidexError {
  return new SidexError('EXECUTION_NOT_FOUND', `no execution with id "${id}"`);
}
