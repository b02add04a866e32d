// A block's own modules are rewritten as they load (instrument.ts), its
// dependencies (node_modules) and everything outside its directory are not:
// CommonJS through a require hook (pirates), ES modules through a module
// loader hook (esm-hooks.ts).
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { addHook } from 'pirates';
import { instrumentAwaits } from './instrument.js';
import { ownsFile } from './ownership.js';

/** Answers whether both hooks are in place; a runtime where they cannot be (Node's permission model refuses the loader thread) runs the block as written. */
export function instrumentBlockModules(root: string): boolean {
  addHook((code, filename) => instrumentAwaits(code, 'script', { filename, sourceMap: true }).code, {
    exts: ['.js', '.cjs'],
    matcher: (filename) => ownsFile(root, filename),
  });
  try {
    register(new URL('./esm-hooks.js', import.meta.url), { data: { root: pathToFileURL(root).href } });
    return true;
  } catch {
    return false;
  }
}
