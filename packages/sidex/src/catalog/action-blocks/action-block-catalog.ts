import fs from 'node:fs';
import path from 'node:path';
import type { ActionBlock, ActionBlockSource } from '@sidex/protocol';
import { SidexError } from '../../errors.js';
import { confinePath } from '../confine.js';
import { discover, type Layer } from '../layered.js';
import { ProjectCache } from '../watch/project-cache.js';
import type { CatalogWarning } from '../warning.js';
import { readActionBlock } from './read-block.js';

export interface CatalogRoots {
  /** The project: `.codebolt/actionblocks` is searched here first. */
  projectDir: string;
  /** Global blocks: `<globalDir>/actionblocks` (Codebolt: ~/.codebolt). */
  globalDir: string;
  /** Built-in blocks shipped with sidex. */
  builtinDir?: string;
  /** Further directories block paths may point into. */
  extraRoots?: string[];
}

export interface BlockListing {
  blocks: ActionBlock[];
  warnings: CatalogWarning[];
}

/**
 * Action blocks on disk: discovery (project over global over built-in),
 * refreshed when the directories change, and confined lookup by path.
 */
export class ActionBlockCatalog {
  private readonly listings: ProjectCache<BlockListing>;

  constructor(readonly roots: CatalogRoots) {
    this.listings = new ProjectCache((project) => {
      const layers = this.layers(project);
      return {
        dirs: layers.map((l) => l.root),
        scan: () => {
          const { items, warnings } = discover(layers, (dir, layer, found) => readActionBlock(dir, layer.source, found), {
            what: () => 'action block',
          });
          return { blocks: items, warnings };
        },
      };
    });
  }

  /** Directories a block path may point into. */
  allowedRoots(): string[] {
    const { projectDir, globalDir, builtinDir, extraRoots = [] } = this.roots;
    return [projectDir, path.join(globalDir, 'actionblocks'), ...(builtinDir ? [builtinDir] : []), ...extraRoots];
  }

  /** A block by path, confined to the allowed roots. */
  resolvePath(blockPath: string): ActionBlock {
    if (typeof blockPath !== 'string' || blockPath.trim() === '') {
      throw new SidexError('INVALID_ARGUMENT', 'actionBlockPath must be a non-empty string', { field: 'actionBlockPath' });
    }
    const dir = confinePath(blockPath, this.allowedRoots(), this.roots.projectDir, 'actionBlockPath');
    return readActionBlock(dir, this.sourceOf(dir));
  }

  /**
   * A block by path; a bare name (no separator) with no directory of that
   * name in the project is looked up by name instead, as actionBlock.start does.
   */
  resolvePathOrName(target: string): ActionBlock {
    const bare = typeof target === 'string' && target.trim() !== '' && !/[\\/]/.test(target) && target !== '.' && target !== '..';
    if (bare && !fs.existsSync(path.resolve(this.roots.projectDir, target))) return this.resolveName(target);
    return this.resolvePath(target);
  }

  /** A block by name, searched in discovery order; a miss rescans once (it may have just been written). */
  resolveName(name: string, projectPath?: string): ActionBlock {
    const named = (listing: BlockListing) => listing.blocks.find((b) => b.name === name);
    const block = named(this.list(projectPath)) ?? named(this.list(projectPath, { fresh: true }));
    if (!block) throw new SidexError('BLOCK_NOT_FOUND', `no action block named "${name}"`, { name });
    return block;
  }

  /** With `fresh`, rescans even before the watchers report a change. */
  list(projectPath?: string, options: { fresh?: boolean } = {}): BlockListing {
    const project = projectPath === undefined ? this.roots.projectDir : confinePath(projectPath, this.allowedRoots(), this.roots.projectDir, 'projectPath');
    const { blocks, warnings } = this.listings.get(project, options);
    return { blocks: [...blocks], warnings: [...warnings] };
  }

  /** Stops watching the directories. */
  close(): void {
    this.listings.close();
  }

  private layers(project: string): Layer<ActionBlockSource>[] {
    return [
      { root: path.join(project, '.codebolt', 'actionblocks'), source: 'filesystem', label: 'project' },
      { root: path.join(this.roots.globalDir, 'actionblocks'), source: 'filesystem', label: 'global' },
      ...(this.roots.builtinDir ? [{ root: this.roots.builtinDir, source: 'builtin' as const, label: 'built-in' }] : []),
    ];
  }

  private sourceOf(dir: string): ActionBlockSource {
    const builtin = this.roots.builtinDir;
    return builtin && dir.startsWith(path.resolve(builtin)) ? 'builtin' : 'filesystem';
  }
}
