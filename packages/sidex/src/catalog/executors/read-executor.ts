import path from 'node:path';
import { SidexError } from '../../errors.js';
import { findFile, parseYamlObject, requireName, resolveEntry, stableId, stringField, stringList, versionField } from '../manifest.js';
import type { CatalogWarning } from '../warning.js';
import { CAPABILITY_TYPES, isCapabilityType, type CapabilityExecutor, type CatalogSource } from '../capabilities/capability.js';

const MANIFESTS = ['executor.yaml', 'executor.yml'];

/**
 * Reads `executors/<name>/executor.yaml` (`name, supportedTypes, entryPoint`,
 * entry defaulting to dist/index.js as in Codebolt). Types sidex does not
 * run are dropped with a warning; an executor left with none is broken.
 */
export function readExecutor(dir: string, source: CatalogSource, warnings: CatalogWarning[]): CapabilityExecutor {
  const file = findFile(dir, MANIFESTS);
  if (!file) throw new SidexError('NOT_AN_EXECUTOR', `${dir}: no ${MANIFESTS.join(' or ')}`, { file: path.join(dir, MANIFESTS[0]!) });
  const manifest = parseYamlObject(file);
  const name = requireName(manifest, file);
  const declared = stringList(manifest, 'supportedTypes', file) ?? [];
  const supportedTypes = declared.filter(isCapabilityType);
  const unknown = declared.filter((t) => !isCapabilityType(t));
  if (unknown.length > 0) {
    warnings.push({ file, field: 'supportedTypes', message: `${file}: unknown capability types ${unknown.map((t) => `"${t}"`).join(', ')} ignored (known: ${CAPABILITY_TYPES.join(', ')})` });
  }
  if (supportedTypes.length === 0) {
    throw new SidexError('INVALID_MANIFEST', `${file}: field "supportedTypes" must list at least one of ${CAPABILITY_TYPES.join(', ')}`, { file, field: 'supportedTypes' });
  }
  const { entryPoint } = resolveEntry(dir, stringField(manifest, 'entryPoint'), file, { what: 'executor' });
  return {
    id: stableId('executor', source, dir),
    name,
    version: versionField(manifest) ?? '0.0.0',
    description: stringField(manifest, 'description') ?? '',
    supportedTypes,
    entryPoint,
    path: dir,
    source,
  };
}
