import fs from 'node:fs';
import path from 'node:path';
import { SidexError } from '../../errors.js';
import { confinePath } from '../confine.js';
import type { ActionBlock, ActionBlockSource, CatalogWarning } from './action-block.js';
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

/** Action blocks on disk: discovery (project over global over built-in) and confined lookup by path. */
export class ActionBlockCatalog {
  constructor(readonly roots: CatalogRoots) {}

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
    const dir = confinePath(blockPath, this.allowedRoots(), this.roots.projectDir);
    return readActionBlock(dir, this.sourceOf(dir));
  }

  /** A block by name, searched in discovery order. */
  resolveName(name: string, projectPath?: string): ActionBlock {
    const block = this.list(projectPath).blocks.find((b) => b.name === name);
    if (!block) throw new SidexError('BLOCK_NOT_FOUND', `no action block named "${name}"`, { name });
    return block;
  }

  list(projectPath?: string): BlockListing {
    const project = projectPath === undefined ? this.roots.projectDir : confinePath(projectPath, this.allowedRoots(), this.roots.projectDir);
    const searched: Array<[string, ActionBlockSource]> = [
      [path.join(project, '.codebolt', 'actionblocks'), 'filesystem'],
      [path.join(this.roots.globalDir, 'actionblocks'), 'filesystem'],
      ...(this.roots.builtinDir ? [[this.roots.builtinDir, 'builtin'] as [string, ActionBlockSource]] : []),
    ];
    const blocks: ActionBlock[] = [];
    const warnings: CatalogWarning[] = [];
    const byName = new Map<string, ActionBlock>();
    for (const [root, source] of searched) {
      for (const dir of childDirs(root)) {
        try {
          // A symlinked block must not lead out of the directory it was found in.
          const block = readActionBlock(confinePath(dir, [root], root), source);
          const earlier = byName.get(block.name);
          if (earlier) {
            warnings.push({
              file: dir,
              field: 'name',
              message: `duplicate action block name "${block.name}": ${earlier.path} takes precedence`,
            });
            continue;
          }
          byName.set(block.name, block);
          blocks.push(block);
        } catch (err) {
          const details = (err as SidexError).details ?? {};
          warnings.push({
            file: typeof details.file === 'string' ? details.file : dir,
            ...(typeof details.field === 'string' ? { field: details.field } : {}),
            message: (err as Error).message,
          });
        }
      }
    }
    return { blocks, warnings };
  }

  private sourceOf(dir: string): ActionBlockSource {
    const builtin = this.roots.builtinDir;
    return builtin && dir.startsWith(path.resolve(builtin)) ? 'builtin' : 'filesystem';
  }
}

function childDirs(root: string): string[] {
  try {
    return fs
      .readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory() || d.isSymbolicLink())
      .map((d) => path.join(root, d.name))
      .sort();
  } catch {
    return [];
  }
}
