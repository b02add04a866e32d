// Reading the files that describe things on disk (actionblock.yml,
// capability.yaml, executor.yaml, package.json): every error names the file
// and, when it can, the field at fault.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SidexError } from '../errors.js';
import { confinePath } from './confine.js';

/** Codebolt's default entry, then the usual suspects. */
export const DEFAULT_ENTRIES = ['dist/index.js', 'index.js', 'index.mjs', 'index.cjs'];

export type Manifest = Record<string, unknown>;

/** A YAML file that must hold a mapping. */
export function parseYamlObject(file: string): Manifest {
  return yamlMapping(fs.readFileSync(file, 'utf8'), file);
}

/** YAML text that must be a mapping; `file` names where it came from. */
export function yamlMapping(text: string, file: string): Manifest {
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (err) {
    // The parser's first line says what and where (line, column); the rest is a drawing of it.
    const what = (err as Error).message.split('\n')[0]?.replace(/:$/, '');
    throw new SidexError('INVALID_MANIFEST', `${file}: not valid YAML: ${what}`, { file });
  }
  if (!isObject(doc)) throw new SidexError('INVALID_MANIFEST', `${file}: must be a YAML mapping`, { file });
  return doc;
}

export function readPackageJson(dir: string): Manifest | undefined {
  const file = path.join(dir, 'package.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    const pkg: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return isObject(pkg) ? pkg : undefined;
  } catch (err) {
    throw new SidexError('INVALID_MANIFEST', `${file}: not valid JSON: ${(err as Error).message}`, { file });
  }
}

/** The first of `names` present in `dir`, as a full path. */
export function findFile(dir: string, names: readonly string[]): string | undefined {
  return names.map((n) => path.join(dir, n)).find(isFile);
}

/** A required non-empty string field, or INVALID_MANIFEST naming file and field. */
export function requireName(manifest: Manifest, file: string, field = 'name'): string {
  const value = stringField(manifest, field);
  if (value === undefined) {
    throw new SidexError('INVALID_MANIFEST', `${file}: field "${field}" is required and must be a non-empty string`, { file, field });
  }
  return value;
}

/**
 * The entry file of a directory: `declared` (relative to `dir`), else the
 * first of `defaults` that exists. It must exist and its real path must stay
 * inside `dir` (no `..`, no absolute path, no symlink pointing out).
 * Returns the entry relative to `dir` and its absolute path.
 */
export function resolveEntry(
  dir: string,
  declared: string | undefined,
  file: string,
  options: { defaults?: readonly string[]; missingCode?: string; field?: string; what?: string } = {},
): { entryPoint: string; entry: string } {
  const { defaults = DEFAULT_ENTRIES, missingCode = 'NO_ENTRY', field = 'entryPoint', what = 'item' } = options;
  const entryPoint = declared ?? defaults.find((e) => isFile(path.join(dir, e)));
  if (!entryPoint) {
    throw new SidexError(missingCode, `${file}: no entry file (set "${field}"; looked for ${defaults.join(', ')})`, { file, field });
  }
  let entry: string;
  try {
    entry = confinePath(entryPoint, [dir], dir);
  } catch {
    throw new SidexError('PATH_OUTSIDE_ROOTS', `${file}: entry "${entryPoint}" is outside the ${what} directory`, { file, field });
  }
  if (!isFile(entry)) {
    throw new SidexError(missingCode, `${file}: entry file "${entryPoint}" does not exist`, { file, field });
  }
  return { entryPoint, entry };
}

/** Derived from where an item comes from and where it lives, never from time. */
export function stableId(prefix: string, source: string, dir: string): string {
  return `${prefix}_${createHash('sha256').update(`${source}:${dir}`).digest('hex').slice(0, 16)}`;
}

export function stringField(obj: Manifest, key: string): string | undefined {
  const value = obj[key];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A list of strings (or one string), else undefined; anything else is INVALID_MANIFEST. */
export function stringList(obj: Manifest, key: string, file: string): string[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new SidexError('INVALID_MANIFEST', `${file}: field "${key}" must be a list of strings`, { file, field: key });
}

/** A version as written; YAML reads `1.0` as a number. */
export function versionField(obj: Manifest): string | undefined {
  const value = obj.version;
  return typeof value === 'number' ? String(value) : stringField(obj, 'version');
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Subdirectories (and symlinks, checked by the caller) of `root`, sorted; none if it is missing. */
export function childDirs(root: string): string[] {
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
