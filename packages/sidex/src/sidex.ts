import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ActionBlockCatalog } from './catalog/action-blocks/action-block-catalog.js';
import { Engine, type EngineOptions } from './engine/engine.js';
import type { ExecutionStore } from './store/execution-store.js';
import { ActionBlockService } from './services/action-block-service.js';
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
}

export const BUILTIN_BLOCKS_DIR = fileURLToPath(new URL('../builtin/actionblocks', import.meta.url));

/** The in-process sidex: one engine, the catalog, and the services every transport calls. */
export class Sidex {
  readonly engine: Engine;
  readonly blocks: ActionBlockCatalog;
  readonly sideExecution: SideExecutionService;
  readonly actionBlock: ActionBlockService;

  constructor(options: SidexOptions) {
    const dataDir = path.resolve(options.dataDir);
    this.blocks = new ActionBlockCatalog({
      projectDir: path.resolve(options.projectDir ?? process.cwd()),
      globalDir: options.globalDir ?? path.join(os.homedir(), '.codebolt'),
      builtinDir: BUILTIN_BLOCKS_DIR,
      ...(options.extraRoots ? { extraRoots: options.extraRoots.map((r) => path.resolve(r)) } : {}),
    });
    const permissions = options.engine?.permissions;
    this.engine = new Engine({
      ...options.engine,
      // Under the permission model, blocks may still read the roots they live in.
      ...(permissions ? { permissions: { ...permissions, read: [...(permissions.read ?? []), ...this.blocks.allowedRoots()] } } : {}),
      dataDir,
      ...(options.store ? { store: options.store } : {}),
    });
    this.sideExecution = new SideExecutionService(this.engine, this.blocks, { ...DEFAULT_LIMITS, ...options.limits });
    this.actionBlock = new ActionBlockService(this.engine, this.blocks, this.sideExecution);
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
    await this.engine.close(options);
    await this.engine.store.close();
  }
}
