import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActionBlockCatalog } from './catalog/action-blocks/action-block-catalog.js';
import { DEFAULT_TAIL_BYTES, Engine, type EngineOptions } from './engine/engine.js';
import { logFileList } from './engine/output/log-files.js';
import { SidexError } from './errors.js';
import type { ExecutionEngine } from './engine/execution-engine.js';
import type { ExecutionStore } from './store/execution-store.js';
import { openStore } from './store/open-store.js';
import { MemoryStore } from './store/memory-store.js';
import { startGuardian } from './lifecycle/guardian.js';
import { leftoverScratch, recoverLostExecutions, type RecoveryReport } from './lifecycle/recovery.js';
import { checkRetention, Retention, type RetentionPolicy } from './lifecycle/retention.js';
import { ActionBlockService } from './services/action-block-service.js';
import { PipelineService, type PipelineLimits, type PipelineServiceOptions } from './services/pipeline-service.js';
import { DEFAULT_LIMITS, SideExecutionService, type SideExecutionLimits } from './services/side-execution-service.js';
import { CapabilityCatalog } from './catalog/capabilities/capability-catalog.js';
import { CapabilityService } from './services/capability-service.js';
import { CommandService } from './services/command-service.js';
import { WorkersService } from './services/workers-service.js';
import { CodeboltBlocks } from './services/codebolt/codebolt-blocks.js';
import type { CodeboltSocket } from './services/codebolt/codebolt-env.js';
import type { DialectServices } from './services/index.js';
import { codeboltApi, type ActionBlockApi, type CapabilityApi, type SideExecutionApi } from './transports/codebolt/api/index.js';
import { repliesOf, type Replies } from './transports/replies/index.js';
import { PipelineApi } from './transports/dap/pipeline-api.js';

export interface SidexOptions<E extends ExecutionEngine = Engine> {
  dataDir: string;
  /** Root for `.codebolt/...` discovery; block paths are confined to it (and the global dir). */
  projectDir?: string;
  /** Codebolt's `~/.codebolt`. */
  globalDir?: string;
  /** More directories block paths may point into. */
  extraRoots?: string[];
  /** RocketRide's file store (`rrext_store` fs_*); default `<dataDir>/store`. Servers of a cluster share one. */
  fileStoreDir?: string;
  /**
   * The `/codebolt` WebSocket Codebolt-built blocks connect back to; the
   * server sets it (its port may be known only once it listens). Without it
   * such blocks are refused with CODEBOLT_HOST_UNAVAILABLE.
   */
  codeboltSocket?: CodeboltSocket;
  engine?: Omit<EngineOptions, 'dataDir' | 'store' | 'guardian'>;
  /** Another engine than the local one (a cluster server's queue); given the options the local one would get. */
  createEngine?: (options: EngineOptions) => E;
  /** An open store to use. Without it, `new Sidex` keeps records in memory and `Sidex.open` opens `storeSpec`. */
  store?: ExecutionStore;
  /**
   * The store `Sidex.open` opens (the `--store` option): none for SQLite in
   * the data directory, `sqlite:<file>`, `postgres://...`, or `memory:`.
   */
  storeSpec?: string;
  /** How much history to keep; pruned in the background. Without it, everything is kept. */
  retention?: RetentionPolicy;
  limits?: Partial<SideExecutionLimits>;
  /** Limits and defaults of pipeline tasks. */
  pipelines?: Partial<PipelineLimits>;
  /** Another pipeline service than the local one (a cluster server's, which routes each task to the server holding it). */
  createPipelines?: (engine: ExecutionEngine, blocks: ActionBlockCatalog, options: PipelineServiceOptions) => PipelineService;
}

/** node_modules directories Node's resolution reaches from `dir` upwards. */
function modulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const modules = path.join(d, 'node_modules');
    if (fs.existsSync(modules)) found.push(modules);
    if (path.dirname(d) === d) return found;
  }
}

export const BUILTIN_BLOCKS_DIR = fileURLToPath(new URL('../builtin/actionblocks', import.meta.url));
export const BUILTIN_CAPABILITIES_DIR = fileURLToPath(new URL('../builtin/capabilities', import.meta.url));

/** The in-process sidex: one engine, the catalog, and the services every transport calls. */
export class Sidex<E extends ExecutionEngine = Engine> {
  readonly engine: E;
  readonly blocks: ActionBlockCatalog;
  /** Capabilities and executors on disk. */
  readonly capabilities: CapabilityCatalog;
  /** The dialect-free services every transport calls. */
  readonly services: DialectServices;
  /** Their replies in the Codebolt shape, which the Codebolt dialect and REST answer in. */
  readonly replies: Replies;
  /** `codebolt.sideExecution`, in process: Codebolt's methods, arguments and replies (and the SDK's startWithCommand, writeStdin, closeStdin). */
  readonly sideExecution: SideExecutionApi;
  /** `codebolt.actionBlock`, in process. */
  readonly actionBlock: ActionBlockApi;
  /** `codebolt.capability`, in process. */
  readonly capability: CapabilityApi;
  /** What the WebSocket transport consults when a Codebolt-built block connects. */
  readonly codeboltBlocks: CodeboltBlocks;
  /** What `Sidex.open` found left over from a previous run, and resolved. */
  recovery: RecoveryReport | undefined;
  private retention: Retention | undefined;
  /** RocketRide pipelines in process: one method per DAP command, its arguments as clients send them (docs/rocketride.md). */
  readonly pipelines: PipelineApi;

  constructor(options: SidexOptions<E>) {
    if (options.storeSpec !== undefined && !options.store) {
      throw new SidexError('INVALID_CONFIG', 'storeSpec: a store is opened by `await Sidex.open(options)`, not by `new Sidex(options)`', {
        field: 'storeSpec',
      });
    }
    const dataDir = path.resolve(options.dataDir);
    this.blocks = new ActionBlockCatalog({
      projectDir: path.resolve(options.projectDir ?? process.cwd()),
      globalDir: options.globalDir ?? path.join(os.homedir(), '.codebolt'),
      builtinDir: BUILTIN_BLOCKS_DIR,
      ...(options.extraRoots ? { extraRoots: options.extraRoots.map((r) => path.resolve(r)) } : {}),
    });
    this.capabilities = new CapabilityCatalog({ ...this.blocks.roots, builtinDir: BUILTIN_CAPABILITIES_DIR });
    const permissions = options.engine?.permissions;
    const roots = [...this.blocks.allowedRoots(), ...this.capabilities.allowedRoots()];
    const engineOptions: EngineOptions = {
      ...options.engine,
      // Sandboxes see the roots blocks and capabilities live in, read-only, and the packages they import.
      sandbox: { ...options.engine?.sandbox, readOnlyPaths: [...(options.engine?.sandbox?.readOnlyPaths ?? []), ...roots, ...roots.flatMap(modulesAbove)] },
      // Under the permission model, blocks may still read the roots they live in.
      ...(permissions ? { permissions: { ...permissions, read: [...(permissions.read ?? []), ...roots] } } : {}),
      dataDir,
      store: options.store ?? new MemoryStore(),
      guardian: startGuardian,
    };
    // Without a factory E is Engine (the default type argument).
    this.engine = options.createEngine ? options.createEngine(engineOptions) : (new Engine(engineOptions) as unknown as E);
    this.codeboltBlocks = new CodeboltBlocks(this.engine, options.codeboltSocket);
    // A command's cwd lies where a block could: in the roots, or a directory sandboxes may write.
    const commandRoots = [...roots, ...(options.engine?.sandbox?.readWritePaths ?? [])];
    const sideExecution = new SideExecutionService(this.engine, this.blocks, { ...DEFAULT_LIMITS, ...options.limits }, this.codeboltBlocks);
    const pipelineOptions: PipelineServiceOptions = { ...(options.pipelines ? { limits: options.pipelines } : {}), storeDir: options.fileStoreDir ?? path.join(dataDir, 'store') };
    this.services = {
      sideExecution,
      capability: new CapabilityService(this.engine, this.capabilities, sideExecution),
      actionBlock: new ActionBlockService(this.engine, this.blocks, sideExecution),
      commands: new CommandService(this.engine, sideExecution, { roots: () => commandRoots, base: this.blocks.roots.projectDir }),
      pipelines: (options.createPipelines ?? ((...args) => new PipelineService(...args)))(this.engine, this.blocks, pipelineOptions),
      workers: new WorkersService(this.engine),
    };
    this.replies = repliesOf(this.services);
    ({ sideExecution: this.sideExecution, actionBlock: this.actionBlock, capability: this.capability } = codeboltApi(this.replies));
    if (options.retention) this.startRetention(options.retention);
    this.pipelines = new PipelineApi(this.services.pipelines);
  }

  /**
   * Opens sidex for service: opens the store (SQLite in the data directory
   * unless told otherwise), then resolves what a previous run left unfinished
   * (kills its survivors, marks its records `supervisor_lost`) before any new
   * work is accepted, then starts retention.
   */
  static async open(options: SidexOptions): Promise<Sidex> {
    if (options.retention) checkRetention(options.retention); // bad config changes nothing
    const store = options.store ?? (await openStore(options.storeSpec, options.dataDir));
    const staleScratch = leftoverScratch(options.dataDir); // before this run's engine makes its own
    let sidex: Sidex;
    try {
      sidex = new Sidex({ ...options, store, storeSpec: undefined, retention: undefined });
    } catch (err) {
      await store.close();
      throw err;
    }
    try {
      sidex.recovery = await recoverLostExecutions({
        store,
        tracker: sidex.engine.tracker,
        logFiles: (id) => sidex.engine.logFiles(id),
        staleScratch,
        tailBytes: options.engine?.tailBytes ?? DEFAULT_TAIL_BYTES,
      });
    } catch (err) {
      await sidex.close();
      throw err;
    }
    if (options.retention) sidex.startRetention(options.retention);
    return sidex;
  }

  /** One retention pass now (normally they run in the background); the ids pruned. */
  async pruneNow(): Promise<string[]> {
    if (!this.retention) throw new SidexError('INVALID_CONFIG', 'no retention policy is configured (options.retention)');
    return this.retention.runNow();
  }

  /** Graceful shutdown: every running execution is stopped with the stop protocol. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    await this.retention?.stop();
    // Pipeline tasks drain first (within the grace), so their items are accounted for.
    await this.services.pipelines.shutdown({ ...(options.graceMs !== undefined ? { drainMs: options.graceMs } : {}) });
    await this.engine.close(options);
    this.blocks.close();
    this.capabilities.close();
    this.codeboltBlocks.close();
    await this.engine.store.close();
  }

  private startRetention(policy: RetentionPolicy): void {
    const engine = this.engine;
    // A cluster server owns only the records that never reached a worker (refused, or stopped while queued): they have no files.
    this.retention = new Retention(engine.store, policy, {
      logFiles: (id) => (engine instanceof Engine ? logFileList(engine.logFiles(id)) : []),
      onError: (err) => process.stderr.write(`sidex: retention pass failed, will retry: ${(err as Error).message}\n`),
    });
    this.retention.start();
  }
}
