import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActionBlockCatalog } from './catalog/action-blocks/action-block-catalog.js';
import { Engine, type EngineOptions } from './engine/engine.js';
import type { ExecutionStore } from './store/execution-store.js';
import { ActionBlockService } from './services/action-block-service.js';
import { PipelineService, type PipelineLimits } from './services/pipeline-service.js';
import { DEFAULT_LIMITS, SideExecutionService, type SideExecutionLimits } from './services/side-execution-service.js';

export interface SidexOptions {
  dataDir: string;
  /** Root for `.codebolt/...` discovery; block paths are confined to it (and the global dir). */
  projectDir?: string;
  /** Codebolt's `~/.codebolt`. */
  globalDir?: string;
  /** More directories block paths may point into. */
  extraRoots?: string[];
  engine?: Omit<EngineOptions, 'dataDir' | 'store'>;
  store?: ExecutionStore;
  limits?: Partial<SideExecutionLimits>;
  /** Limits and defaults of pipeline tasks. */
  pipelines?: Partial<PipelineLimits>;
}

export const BUILTIN_BLOCKS_DIR = fileURLToPath(new URL('../builtin/actionblocks', import.meta.url));

/** The in-process sidex: one engine, the catalog, and the services every transport calls. */
export class Sidex {
  readonly engine: Engine;
  readonly blocks: ActionBlockCatalog;
  readonly sideExecution: SideExecutionService;
  readonly actionBlock: ActionBlockService;
  readonly pipelines: PipelineService;

  constructor(options: SidexOptions) {
    const dataDir = path.resolve(options.dataDir);
    this.engine = new Engine({ ...options.engine, dataDir, ...(options.store ? { store: options.store } : {}) });
    this.blocks = new ActionBlockCatalog({
      projectDir: path.resolve(options.projectDir ?? process.cwd()),
      globalDir: options.globalDir ?? path.join(os.homedir(), '.codebolt'),
      builtinDir: BUILTIN_BLOCKS_DIR,
      ...(options.extraRoots ? { extraRoots: options.extraRoots.map((r) => path.resolve(r)) } : {}),
    });
    this.sideExecution = new SideExecutionService(this.engine, this.blocks, { ...DEFAULT_LIMITS, ...options.limits });
    this.actionBlock = new ActionBlockService(this.engine, this.blocks, this.sideExecution);
    this.pipelines = new PipelineService(this.engine, this.blocks, { dataDir, ...(options.pipelines ? { limits: options.pipelines } : {}) });
  }

  /**
   * Opens sidex for service: the place where start-up work (recovering what a
   * previous run left behind) happens before any new work is accepted.
   */
  static async open(options: SidexOptions): Promise<Sidex> {
    return new Sidex(options);
  }

  /** Graceful shutdown: every running execution is stopped with the stop protocol. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    // Pipeline tasks drain first (within the grace), so their items are accounted for.
    await this.pipelines.shutdown({ ...(options.graceMs !== undefined ? { drainMs: options.graceMs } : {}) });
    await this.engine.close(options);
    await this.engine.store.close();
  }
}
