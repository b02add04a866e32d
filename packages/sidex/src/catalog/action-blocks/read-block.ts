import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SidexError } from '../../errors.js';
import { isInside, realpathOrSelf } from '../confine.js';
import type { ActionBlock, ActionBlockInput, ActionBlockSource } from './action-block.js';

const MANIFESTS = ['actionblock.yml', 'actionblock.yaml'];
/** Codebolt's default entry, then the usual suspects. */
const DEFAULT_ENTRIES = ['dist/index.js', 'index.js', 'index.mjs', 'index.cjs'];

/**
 * Reads a block directory: its manifest (actionblock.yml/.yaml, else
 * package.json) and its entry file. Throws a SidexError naming the file and
 * field at fault.
 */
export function readActionBlock(dir: string, source: ActionBlockSource): ActionBlock {
  if (!isDirectory(dir)) throw new SidexError('BLOCK_NOT_FOUND', `no action block directory at "${dir}"`, { path: dir });
  const manifestName = MANIFESTS.find((m) => fs.existsSync(path.join(dir, m)));
  const pkg = readPackageJson(dir);
  let manifest: Record<string, unknown> = {};
  let manifestFile = path.join(dir, 'package.json');
  if (manifestName) {
    manifestFile = path.join(dir, manifestName);
    manifest = parseYamlObject(manifestFile);
    if (typeof manifest.name !== 'string' || manifest.name.trim() === '') {
      throw new SidexError('INVALID_MANIFEST', `${manifestFile}: field "name" is required and must be a non-empty string`, {
        file: manifestFile,
        field: 'name',
      });
    }
  } else if (!pkg) {
    throw new SidexError('NOT_AN_ACTION_BLOCK', `"${dir}" has no actionblock.yml, actionblock.yaml or package.json`, {
      path: dir,
    });
  }
  const declared = stringField(manifest, 'entryPoint') ?? stringField(pkg ?? {}, 'main');
  const entryPoint = declared ?? DEFAULT_ENTRIES.find((e) => isFile(path.join(dir, e)));
  if (!entryPoint) {
    throw new SidexError('BLOCK_NO_ENTRY', `${manifestFile}: no entry file (set "entryPoint"; looked for ${DEFAULT_ENTRIES.join(', ')})`, {
      file: manifestFile,
      field: 'entryPoint',
    });
  }
  const entry = path.resolve(dir, entryPoint);
  // Followed through symlinks: an entry file that links out of the block would run code from outside the roots.
  if (!isInside(entry, dir) || !isInside(realpathOrSelf(entry), realpathOrSelf(dir))) {
    throw new SidexError('PATH_OUTSIDE_ROOTS', `${manifestFile}: entry "${entryPoint}" is outside the block directory`, {
      file: manifestFile,
      field: 'entryPoint',
    });
  }
  if (!isFile(entry)) {
    throw new SidexError('BLOCK_NO_ENTRY', `${manifestFile}: entry file "${entryPoint}" does not exist`, {
      file: manifestFile,
      field: 'entryPoint',
    });
  }
  const name = stringField(manifest, 'name') ?? stringField(pkg ?? {}, 'name') ?? path.basename(dir);
  const metadata = (isObject(manifest.metadata) ? manifest.metadata : {}) as ActionBlock['metadata'];
  const inputs = (manifest.inputs ?? metadata.inputs) as ActionBlockInput[] | undefined;
  const outputs = (manifest.outputs ?? metadata.outputs) as ActionBlockInput[] | undefined;
  const author = stringField(manifest, 'author') ?? metadata.author;
  const tags = (Array.isArray(manifest.tags) ? manifest.tags : metadata.tags) as string[] | undefined;
  return {
    id: stableId(source, dir),
    name,
    description: stringField(manifest, 'description') ?? stringField(pkg ?? {}, 'description') ?? '',
    version: stringField(manifest, 'version') ?? stringField(pkg ?? {}, 'version') ?? '0.0.0',
    entryPoint,
    path: dir,
    type: source,
    metadata: {
      ...metadata,
      ...(author ? { author } : {}),
      ...(tags ? { tags } : {}),
      ...(inputs ? { inputs } : {}),
      ...(outputs ? { outputs } : {}),
      ...(pkg?.dependencies ? { dependencies: pkg.dependencies as Record<string, string> } : {}),
    },
  };
}

/** Derived from where a block comes from and where it lives, never from time. */
export function stableId(source: string, dir: string): string {
  return `ab_${createHash('sha256').update(`${source}:${dir}`).digest('hex').slice(0, 16)}`;
}

function parseYamlObject(file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new SidexError('INVALID_MANIFEST', `${file}: not valid YAML: ${(err as Error).message}`, { file });
  }
  if (!isObject(doc)) throw new SidexError('INVALID_MANIFEST', `${file}: must be a YAML mapping`, { file });
  return doc;
}

function readPackageJson(dir: string): Record<string, unknown> | undefined {
  const file = path.join(dir, 'package.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return isObject(pkg) ? pkg : undefined;
  } catch (err) {
    throw new SidexError('INVALID_MANIFEST', `${file}: not valid JSON: ${(err as Error).message}`, { file });
  }
}

function stringField(obj: Record<string, unknown>, key: string): string | undefined {
  const value = obj[key];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
