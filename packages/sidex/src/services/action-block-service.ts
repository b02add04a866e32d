import type { ActionBlockCatalog } from '../catalog/action-blocks/action-block-catalog.js';
import type { Engine } from '../engine/engine.js';
import { SidexError } from '../errors.js';
import { fail, ok, replying } from './replies.js';
import { Params } from './schemas.js';
import type { SideExecutionService } from './side-execution-service.js';
import { parseInput } from '../model/validation.js';
import { z } from 'zod';

const FILTER_TYPES = ['filesystem', 'runtime', 'builtin'] as const;
const BlockName = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(500, 'is too long');
/** Parsed as a field so that a bad value is reported as `params` (INVALID_PARAMS). */
const StartByNameParams = z.object({ params: Params.nullish() });

/** The `actionBlock` dialect: blocks by name (shared/PROTOCOLS.md §1). */
export class ActionBlockService {
  constructor(
    private readonly engine: Engine,
    private readonly blocks: ActionBlockCatalog,
    private readonly sideExecutions: SideExecutionService,
  ) {}

  list(filterType?: unknown, projectPath?: unknown) {
    return replying('listActionBlocksResponse', async () => {
      if (filterType !== undefined && filterType !== null && !FILTER_TYPES.includes(filterType as never)) {
        throw new SidexError('INVALID_ARGUMENT', `filterType: must be one of ${FILTER_TYPES.join(', ')}`, { field: 'filterType' });
      }
      if (projectPath !== undefined && projectPath !== null && typeof projectPath !== 'string') {
        throw new SidexError('INVALID_ARGUMENT', 'projectPath: must be a string', { field: 'projectPath' });
      }
      const { blocks, warnings } = this.blocks.list(projectPath ?? undefined);
      const actionBlocks = filterType ? blocks.filter((b) => b.type === filterType) : blocks;
      return ok('listActionBlocksResponse', { actionBlocks, warnings });
    });
  }

  getDetail(name: unknown) {
    return replying('getActionBlockDetailResponse', async () => {
      const actionBlock = this.blocks.resolveName(parseInput(BlockName, name));
      return ok('getActionBlockDetailResponse', { actionBlock });
    });
  }

  /** Starts a block by name and answers once it has finished, with its result. */
  start(name: unknown, params?: unknown) {
    const type = 'startActionBlockResponse';
    return replying(type, async () => {
      const block = this.blocks.resolveName(parseInput(BlockName, name));
      const { params: checked } = parseInput(StartByNameParams, { params });
      const started = await this.engine.start(this.sideExecutions.blockSpec(block, checked, undefined));
      const record = await this.engine.wait(started.id);
      if (record.status !== 'completed') {
        const error = record.error ?? { code: 'EXECUTION_FAILED', message: `action block ended with status "${record.status}"` };
        // Its id flat and under data, as in every other reply (fail() puts fields in both).
        return fail(type, new SidexError(error.code, error.message, { sideExecutionId: record.id, status: record.status }), { sideExecutionId: record.id, status: record.status });
      }
      return ok(type, { sideExecutionId: record.id, result: record.result });
    });
  }
}
