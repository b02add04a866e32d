import type { ActionBlock } from '@sidex/protocol';
import type { ActionBlockCatalog, BlockListing } from '../catalog/action-blocks/action-block-catalog.js';
import type { Engine } from '../engine/engine.js';
import type { ExecutionRecord } from '../model/record.js';
import type { StartOptionsInput } from './schemas.js';
import type { SideExecutionService } from './side-execution-service.js';

export const BLOCK_FILTER_TYPES = ['filesystem', 'runtime', 'builtin'] as const;
export type BlockFilterType = (typeof BLOCK_FILTER_TYPES)[number];

/** Action blocks by name (shared/PROTOCOLS.md §1), dialect-free. */
export class ActionBlockService {
  constructor(
    private readonly engine: Engine,
    private readonly blocks: ActionBlockCatalog,
    private readonly sideExecutions: SideExecutionService,
  ) {}

  list(filterType?: BlockFilterType, projectPath?: string): BlockListing {
    const { blocks, warnings } = this.blocks.list(projectPath);
    return { blocks: filterType ? blocks.filter((b) => b.type === filterType) : blocks, warnings };
  }

  getDetail(name: string): ActionBlock {
    return this.blocks.resolveName(name);
  }

  /** Runs a block by name; resolves with its record once it has ended, however it ended. */
  async run(name: string, params?: Record<string, unknown> | null, options?: StartOptionsInput): Promise<ExecutionRecord> {
    const block = this.blocks.resolveName(name);
    const started = await this.engine.start(this.sideExecutions.blockSpec(block, params, undefined, options));
    return this.engine.wait(started.id);
  }
}
