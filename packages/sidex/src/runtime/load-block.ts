import { pathToFileURL } from 'node:url';

export type BlockFunction = (params: unknown, ctx: unknown) => unknown;

/**
 * An action block entry exports a function (default export, `run`, or
 * `module.exports`). An entry that exports none is a script: importing it ran it.
 */
export async function loadBlock(entry: string): Promise<BlockFunction | undefined> {
  const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  const candidates = [mod.default, mod.run, (mod.default as Record<string, unknown> | undefined)?.run];
  return candidates.find((c): c is BlockFunction => typeof c === 'function');
}
