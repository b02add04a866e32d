import path from 'node:path';

/** A file of the block itself: under its directory, not in a node_modules. */
export function ownsFile(root: string, filename: string): boolean {
  const rel = path.relative(root, filename);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && !rel.split(path.sep).includes('node_modules');
}
