// Rewrites the code an execution runs so that a graceful stop can unwind it:
// `await x` becomes `await __sidexAwait(x)` and `for await (... of y)` takes
// `__sidexIter(y)` (see awaits.ts). Nothing else changes, and no line is added
// or removed, so line numbers in stacks stay the user's; a source map covers
// the columns that shift.
import { parse, type Node, type Options } from 'acorn';
import { simple } from 'acorn-walk';
import MagicString from 'magic-string';
import { AWAIT_HOOK, ITER_HOOK } from './hook-names.js';

export type SourceKind = 'body' | 'moduleBody' | 'script' | 'module';

export interface Instrumented {
  code: string;
  /** Awaits and for-await loops rewritten. */
  count: number;
}

export const PARSE_OPTIONS: Record<SourceKind, Options> = {
  // Inline code is the body of an async function: top-level await and return.
  body: { ecmaVersion: 'latest', sourceType: 'script', allowAwaitOutsideFunction: true, allowReturnOutsideFunction: true, allowHashBang: true },
  // Inline code with static imports (runtime/inline/static-imports.ts rewrites them).
  moduleBody: { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true, allowReturnOutsideFunction: true, allowHashBang: true },
  script: { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true, allowHashBang: true },
  module: { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true },
};

/**
 * The rewritten source, or the source as it was when it has no await or does
 * not parse (its syntax error is then reported by Node, as before).
 * `filename` names the source in the map, which is inlined when asked for.
 */
export function instrumentAwaits(source: string, kind: SourceKind, options: { filename?: string; sourceMap?: boolean } = {}): Instrumented {
  if (!source.includes('await')) return { code: source, count: 0 };
  let ast: Node;
  try {
    ast = parse(source, PARSE_OPTIONS[kind]);
  } catch {
    return { code: source, count: 0 };
  }
  const edits = new MagicString(source);
  const count = rewriteAwaits(ast, edits);
  if (count === 0) return { code: source, count };
  let code = edits.toString();
  if (options.sourceMap && options.filename) {
    const map = edits.generateMap({ source: options.filename, file: options.filename, includeContent: true, hires: true });
    code += `\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(map.toString()).toString('base64')}`;
  }
  return { code, count };
}

/** Adds the rewrite of every await and for-await loop of `ast` to `edits`; answers how many. */
export function rewriteAwaits(ast: Node, edits: MagicString): number {
  let count = 0;
  simple(ast, {
    AwaitExpression(node) {
      const argument = (node as unknown as { argument: Node }).argument;
      edits.appendLeft(argument.start, `${AWAIT_HOOK}(`);
      edits.prependRight(argument.end, ')');
      count++;
    },
    ForOfStatement(node) {
      const loop = node as unknown as { await: boolean; right: Node };
      if (!loop.await) return;
      edits.appendLeft(loop.right.start, `${ITER_HOOK}(`);
      edits.prependRight(loop.right.end, ')');
      count++;
    },
  });
  return count;
}
