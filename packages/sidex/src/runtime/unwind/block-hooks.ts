// A block's own modules are rewritten as they load (instrument.ts), its
// dependencies (node_modules) and everything outside its directory are not:
// CommonJS through a require hook (pirates), ES modules through a module
// loader hook (esm-hooks.ts). The loader hook runs on a thread of its own,
// which costs a block ~20 ms to start and the runtime as much to exit: only a
// block whose entry may be an ES module gets it (inline code and CommonJS
// blocks never do).
import { register } from 'node:module';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { addHook } from 'pirates';
import { formatOf } from '../check-entry-syntax.js';
import { instrumentAwaits } from './instrument.js';
import { ownsFile } from './ownership.js';

/** The loader hook's thread; undefined where it cannot run (Node's permission model refuses it). */
function startEsmHooks(): MessagePort | undefined {
  const channel = new MessageChannel();
  try {
    register(new URL('./esm-hooks.js', import.meta.url), { data: { port: channel.port2 }, transferList: [channel.port2] });
  } catch {
    channel.port1.close();
    return undefined;
  }
  channel.port1.unref();
  return channel.port1;
}

/** Before a block loads: resolves whether its modules are rewritten (for an ES entry, once the loader hook has its directory). */
export async function instrumentBlockModules(root: string, entry: string): Promise<boolean> {
  addHook((code, filename) => instrumentAwaits(code, 'script', { filename, sourceMap: true }).code, {
    exts: ['.js', '.cjs'],
    matcher: (filename) => ownsFile(root, filename),
  });
  if ((await formatOf(entry)) === 'commonjs') return true;
  const hooks = startEsmHooks();
  if (!hooks) return false;
  const acknowledged = new Promise<boolean>((resolve) => hooks.once('message', () => resolve(true)));
  hooks.postMessage({ root: pathToFileURL(root).href });
  return acknowledged;
}
