// Module loader hooks (node:module register), on the loader's own thread:
// the block's ES modules are rewritten by instrument.ts as they load. Until a
// block's directory arrives (block-hooks.ts), nothing is.
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import { ownsFile } from './ownership.js';
import { instrumentAwaits } from './instrument.js';

let root: string | undefined;

export function initialize(data: { port: MessagePort }): void {
  data.port.on('message', (message: { root: string }) => {
    root = fileURLToPath(message.root);
    data.port.postMessage('ok');
  });
  data.port.unref();
}

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}

export async function load(url: string, context: unknown, nextLoad: (url: string, context: unknown) => Promise<LoadResult>): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (root === undefined || result.format !== 'module' || !url.startsWith('file:') || result.source == null || !ownsFile(root, fileURLToPath(url))) return result;
  const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
  return { ...result, source: instrumentAwaits(source, 'module', { filename: fileURLToPath(url), sourceMap: true }).code };
}
