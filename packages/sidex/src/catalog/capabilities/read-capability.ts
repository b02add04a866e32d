import path from 'node:path';
import { SidexError } from '../../errors.js';
import { confinePath } from '../confine.js';
import { findFile, isFile, parseYamlObject, resolveEntry, stableId, stringField, stringList, versionField, type Manifest } from '../manifest.js';
import { readInputs } from '../params/inputs.js';
import type { CatalogWarning } from '../warning.js';
import type { Capability, CapabilityType, CatalogSource } from './capability.js';
import { firstParagraph, readSkillMd, SKILL_FILE, type SkillDoc } from './skill-md.js';

const MANIFESTS = ['capability.yaml', 'capability.yml'];
/** Codebolt scaffolds a capability's code as index.js. */
const CAPABILITY_ENTRIES = ['index.js', 'dist/index.js', 'index.mjs', 'index.cjs'];

/**
 * Reads `<type>/<name>/`: capability.yaml (or .yml), its entry file, and an
 * optional SKILL.md whose front matter fills the fields the YAML leaves out
 * (a skill may be a SKILL.md alone). Needs code or a SKILL.md to be runnable.
 */
export function readCapability(dir: string, type: CapabilityType, source: CatalogSource, warnings: CatalogWarning[]): Capability {
  const manifestFile = findFile(dir, MANIFESTS);
  const skill = readSkill(dir, warnings);
  if (!manifestFile && !skill) {
    throw new SidexError('NOT_A_CAPABILITY', `${dir}: no ${MANIFESTS.join(' or ')} and no ${SKILL_FILE}`, { file: path.join(dir, MANIFESTS[0]!) });
  }
  const file = manifestFile ?? skill!.file;
  const manifest = manifestFile ? parseYamlObject(manifestFile) : {};
  const fallback: Manifest = skill?.frontMatter ?? {};
  const field = (key: string) => stringField(manifest, key) ?? stringField(fallback, key);
  const name = field('name');
  if (!name) throw new SidexError('INVALID_MANIFEST', `${file}: field "name" is required and must be a non-empty string`, { file, field: 'name' });
  const declaredType = field('type');
  if (declaredType !== undefined && declaredType !== type) {
    throw new SidexError('INVALID_MANIFEST', `${file}: field "type" is "${declaredType}" but the capability lies in the "${type}" directory`, { file, field: 'type' });
  }
  const entryPoint = entryOf(dir, stringField(manifest, 'entryPoint'), file);
  if (!entryPoint && !skill) {
    throw new SidexError('NO_ENTRY', `${file}: no entry file (set "entryPoint"; looked for ${CAPABILITY_ENTRIES.join(', ')}) and no ${SKILL_FILE}`, { file, field: 'entryPoint' });
  }
  const inputs = readInputs(manifest.inputs ?? fallback.inputs, file, 'inputs', warnings);
  const outputs = manifest.outputs ?? fallback.outputs;
  const author = field('author');
  const tags = stringList(manifest, 'tags', file) ?? stringList(fallback, 'tags', skill?.file ?? file);
  const executor = stringField(manifest, 'executor');
  return {
    id: stableId('capability', source, dir),
    name,
    type,
    version: versionField(manifest) ?? versionField(fallback) ?? '0.0.0',
    description: field('description') ?? (skill ? firstParagraph(skill.instructions) : ''),
    path: dir,
    source,
    ...(entryPoint ? { entryPoint } : {}),
    ...(skill ? { skillFile: skill.file } : {}),
    ...(executor ? { executor } : {}),
    metadata: {
      ...(author ? { author } : {}),
      ...(tags ? { tags } : {}),
      ...(inputs ? { inputs } : {}),
      ...(Array.isArray(outputs) ? { outputs } : {}),
    },
  };
}

/** The declared entry (which must exist, inside the directory), else the first default present, else none. */
function entryOf(dir: string, declared: string | undefined, file: string): string | undefined {
  if (!declared && !CAPABILITY_ENTRIES.some((e) => isFile(path.join(dir, e)))) return undefined;
  return resolveEntry(dir, declared, file, { defaults: CAPABILITY_ENTRIES, what: 'capability' }).entryPoint;
}

function readSkill(dir: string, warnings: CatalogWarning[]): SkillDoc | undefined {
  const file = path.join(dir, SKILL_FILE);
  if (!isFile(file)) return undefined;
  try {
    return readSkillMd(confinePath(file, [dir], dir), warnings);
  } catch (err) {
    if ((err as SidexError).code === 'PATH_OUTSIDE_ROOTS') {
      throw new SidexError('PATH_OUTSIDE_ROOTS', `${file}: is a symlink pointing outside the capability directory`, { file, field: SKILL_FILE });
    }
    throw err;
  }
}
