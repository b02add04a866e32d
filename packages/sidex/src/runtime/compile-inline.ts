import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import type { ErrorInfo } from './messages.js';
import { isBindableIdentifier } from './identifiers.js';
import { placedSyntaxError, syntaxPlace, type SyntaxPlace } from './syntax-location.js';

export type InlineFunction = (...args: unknown[]) => Promise<unknown>;

const fixedNames = ['params', 'ctx', 'require', '__filename', '__dirname'] as const;

export class InlineSyntaxError extends Error {
  /** SYNTAX_ERROR, its message ending with the place. */
  readonly info: ErrorInfo;

  constructor(readonly place: SyntaxPlace) {
    super(place.message);
    this.info = placedSyntaxError(place);
  }
}

export interface CompiledInline {
  run(params: unknown, ctx: unknown): Promise<unknown>;
}

/**
 * Inline code is the body of an async function: `return` gives the result and
 * top-level await works. The wrapper shares the code's first line and a
 * negative column offset, so line and column numbers in errors are the user's.
 */
function inlineScript(code: string, filename: string, names: readonly string[], withImport: boolean): vm.Script {
  const prefix = `(async function (${names.join(', ')}) {`;
  try {
    return new vm.Script(`${prefix}${code}\n})`, {
      filename,
      columnOffset: -prefix.length,
      ...(withImport ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
    });
  } catch (err) {
    throw new InlineSyntaxError(syntaxPlace(err, prefix.length));
  }
}

/** Throws InlineSyntaxError (code SYNTAX_ERROR, line, column) without running anything. */
export function checkInlineSyntax(code: string, filename = 'inline.js'): void {
  checkFunctionBody(code, filename, fixedNames);
}

/**
 * The same wrapping for other bodies with their own parameter names (a
 * pipeline's `code` components take `input` and `ctx`): checked without
 * running, or compiled to the async function itself.
 */
export function checkFunctionBody(code: string, filename: string, names: readonly string[]): void {
  inlineScript(code, filename, names, false);
}

export function compileFunctionBody(code: string, filename: string, names: readonly string[]): InlineFunction {
  return inlineScript(code, filename, names, true).runInThisContext() as InlineFunction;
}

/**
 * How many keys of params become variables. V8 takes at most 65,534
 * parameters (70,000 keys failed the start as a syntax error in the caller's
 * code); past this many, the rest are read from `params`.
 */
export const MAX_BOUND_PARAMS = 10_000;

/**
 * Compiles inline code. Every key of params that is a valid identifier is in
 * scope by name (the first MAX_BOUND_PARAMS), unless the code declares that
 * name itself (its own wins).
 */
export function compileInline(code: string, filename: string, paramKeys: readonly string[]): CompiledInline {
  let extra = paramKeys.filter((k) => isBindableIdentifier(k) && !(fixedNames as readonly string[]).includes(k)).slice(0, MAX_BOUND_PARAMS);
  let script: vm.Script;
  for (;;) {
    try {
      script = inlineScript(code, filename, [...fixedNames, ...extra], true);
      break;
    } catch (err) {
      const clash = /Identifier '([\w$]+)' has already been declared/.exec((err as Error).message)?.[1];
      if (!clash || !extra.includes(clash)) throw err;
      extra = extra.filter((k) => k !== clash);
    }
  }
  const fn = script.runInThisContext() as InlineFunction;
  const require = createRequire(filename);
  return {
    run(params, ctx) {
      const bag = (params ?? {}) as Record<string, unknown>;
      return fn(params, ctx, require, filename, path.dirname(filename), ...extra.map((k) => bag[k]));
    },
  };
}
