import { pathToFileURL } from 'node:url';

export type BlockFunction = (params: unknown, ctx: unknown) => unknown;

/**
 * An action block entry exports a function (default export, `run`, or
 * `module.exports`; `execute`, as Codebolt scaffolds capabilities). An entry
 * that exports none is a script: importing it ran it.
 */
export async function loadBlock(entry: string): Promise<BlockFunction | undefined> {
  const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  const inner = mod.default as Record<string, unknown> | undefined;
  const candidates = [mod.default, mod.run, inner?.run, mod.execute, inner?.execute];
  return candidates.find((c): c is BlockFunction => typeof c === 'function');
}
