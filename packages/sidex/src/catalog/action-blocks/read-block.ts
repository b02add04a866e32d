import path from 'node:path';
import type { ActionBlock, ActionBlockSource } from '@sidex/protocol';
import { SidexError } from '../../errors.js';
import { findFile, isDirectory, isObject, parseYamlObject, readPackageJson, requireName, resolveEntry, stableId, stringField, versionField, type Manifest } from '../manifest.js';
import { readInputs } from '../params/inputs.js';
import type { CatalogWarning } from '../warning.js';
import { isCodeboltProgram } from './codebolt-program.js';

const MANIFESTS = ['actionblock.yml', 'actionblock.yaml'];

/**
 * Reads a block directory: its manifest (actionblock.yml/.yaml, else
 * package.json) and its entry file. Throws a SidexError naming the file and
 * field at fault; problems that leave the block usable go to `warnings`.
 */
export function readActionBlock(dir: string, source: ActionBlockSource, warnings: CatalogWarning[] = []): ActionBlock {
  if (!isDirectory(dir)) throw new SidexError('BLOCK_NOT_FOUND', `no action block directory at "${dir}"`, { path: dir });
  const manifestPath = findFile(dir, MANIFESTS);
  const pkg = readPackageJson(dir);
  let manifest: Manifest = {};
  let file = path.join(dir, 'package.json');
  if (manifestPath) {
    file = manifestPath;
    manifest = parseYamlObject(file);
    requireName(manifest, file);
  } else if (!pkg) {
    throw new SidexError('NOT_AN_ACTION_BLOCK', `"${dir}" has no actionblock.yml, actionblock.yaml or package.json`, { path: dir });
  }
  const declared = stringField(manifest, 'entryPoint') ?? stringField(pkg ?? {}, 'main');
  const { entryPoint } = resolveEntry(dir, declared, file, { missingCode: 'BLOCK_NO_ENTRY', what: 'block' });
  const name = stringField(manifest, 'name') ?? stringField(pkg ?? {}, 'name') ?? path.basename(dir);
  const metadata = (isObject(manifest.metadata) ? manifest.metadata : {}) as ActionBlock['metadata'];
  const inputsField = manifest.inputs !== undefined ? 'inputs' : 'metadata.inputs';
  const inputs = readInputs(manifest.inputs ?? metadata.inputs, file, inputsField, warnings);
  const outputs = (manifest.outputs ?? metadata.outputs) as ActionBlock['metadata']['outputs'];
  const author = stringField(manifest, 'author') ?? metadata.author;
  const tags = (Array.isArray(manifest.tags) ? manifest.tags : metadata.tags) as string[] | undefined;
  return {
    id: stableId('ab', source, dir),
    name,
    description: stringField(manifest, 'description') ?? stringField(pkg ?? {}, 'description') ?? '',
    version: versionField(manifest) ?? versionField(pkg ?? {}) ?? '0.0.0',
    entryPoint,
    path: dir,
    type: source,
    protocol: isCodeboltProgram(manifest, pkg, file) ? 'codebolt' : 'sidex',
    metadata: {
      ...metadata,
      ...(author ? { author } : {}),
      ...(tags ? { tags } : {}),
      ...(inputs ? { inputs } : {}),
      ...(outputs ? { outputs } : {}),
      // The SDK's type is a list of names: the manifest's list, else the package's dependency names.
      ...dependencyNames(metadata.dependencies, pkg?.dependencies),
    },
  };
}

function dependencyNames(declared: unknown, fromPackage: unknown): { dependencies?: string[] } {
  if (Array.isArray(declared)) return { dependencies: declared.filter((d): d is string => typeof d === 'string') };
  if (isObject(declared)) return { dependencies: Object.keys(declared) };
  if (isObject(fromPackage)) return { dependencies: Object.keys(fromPackage) };
  return {};
}
