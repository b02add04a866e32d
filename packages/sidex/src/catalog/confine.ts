import fs from 'node:fs';
import path from 'node:path';
import { SidexError } from '../errors.js';

/**
 * Resolves `target` (relative paths against `base`) and follows symlinks; the
 * real path must lie inside one of `roots`, or PATH_OUTSIDE_ROOTS is thrown.
 * A path that does not exist is checked as written, so traversal is refused
 * before existence is even told.
 */
export function confinePath(target: string, roots: readonly string[], base: string, field?: string): string {
  const resolved = path.resolve(base, target);
  const real = realpathOrSelf(resolved);
  for (const root of roots) {
    const realRoot = realpathOrSelf(path.resolve(root));
    if (isInside(real, realRoot)) return real;
  }
  // Named as the caller sent it (`cwd`, `actionBlockPath`), where the caller's field is known.
  throw new SidexError('PATH_OUTSIDE_ROOTS', `${field ? `${field}: ` : ''}path "${target}" is outside the allowed roots`, {
    ...(field ? { field } : {}),
    path: target,
    roots: [...roots],
  });
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path (symlinks followed), or the path as given when it does not exist. */
function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}
