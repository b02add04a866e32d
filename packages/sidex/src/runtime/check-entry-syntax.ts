import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type { ErrorInfo } from './messages.js';
import { syntaxErrorInfo } from './syntax-location.js';

const COMMONJS_PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname'];

/**
 * Compiles a block's entry file, without running it, so that a syntax error
 * in it fails the start deterministically (an import only reports it at some
 * point of loading). V8 checks (`SourceTextModule` needs the runtime's
 * --experimental-vm-modules); only for the place of an ES module error, which
 * V8 does not expose, is the file parsed again with acorn.
 * Answers undefined when the entry compiles, or cannot be checked here.
 */
export async function checkEntrySyntax(entry: string): Promise<ErrorInfo | undefined> {
  let source: string;
  try {
    source = (await fs.readFile(entry, 'utf8')).replace(/^#!/, '//');
  } catch {
    return undefined; // unreadable: the import reports it
  }
  const asCommonJs = () => compileError(() => vm.compileFunction(source, COMMONJS_PARAMETERS, { filename: entry }));
  const asModule = () => compileError(() => new vm.SourceTextModule(source, { identifier: pathToFileURL(entry).href }));
  switch (await formatOf(entry)) {
    case 'commonjs':
      return report(entry, asCommonJs(), 'commonjs', source);
    case 'module':
      return report(entry, asModule(), 'module', source);
    case 'ambiguous': {
      // Node 20 detects module syntax: an ambiguous .js that is not valid CommonJS loads as an ES module.
      const cjs = asCommonJs();
      if (!cjs) return undefined;
      const esm = asModule();
      if (!esm) return undefined;
      // Valid as neither: report the error of the kind the file looks like.
      return /^\s*(import|export)\b/m.test(source) ? report(entry, esm, 'module', source) : report(entry, cjs, 'commonjs', source);
    }
  }
}

/** The SyntaxError of compiling; null when it compiles, undefined when it cannot be checked here. */
function compileError(compile: () => unknown): SyntaxError | null | undefined {
  try {
    compile();
    return null;
  } catch (err) {
    return err instanceof SyntaxError ? err : undefined;
  }
}

async function report(entry: string, err: SyntaxError | null | undefined, kind: 'module' | 'commonjs', source: string): Promise<ErrorInfo | undefined> {
  if (!err) return undefined;
  const info = kind === 'module' ? await moduleErrorPlace(err, source) : syntaxErrorInfo(err);
  return { ...info, message: `${entry}: ${info.message}` };
}

async function moduleErrorPlace(err: SyntaxError, source: string): Promise<ErrorInfo> {
  try {
    // Loaded only here (a failed start); under the permission model it may be out of reach.
    const { parse } = await import('acorn');
    parse(source, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true });
  } catch (parsed) {
    const loc = (parsed as { loc?: { line: number; column: number } }).loc;
    if (loc) return { code: 'SYNTAX_ERROR', message: `${err.message} (line ${loc.line}, column ${loc.column + 1})`, line: loc.line, column: loc.column + 1 };
  }
  return { code: 'SYNTAX_ERROR', message: err.message };
}

type Format = 'module' | 'commonjs' | 'ambiguous';

/** .mjs and .cjs say so; a .js file follows the "type" of its nearest package.json, else it is ambiguous. */
export async function formatOf(entry: string): Promise<Format> {
  if (entry.endsWith('.mjs')) return 'module';
  if (entry.endsWith('.cjs')) return 'commonjs';
  for (let dir = path.dirname(entry); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as { type?: string };
      return pkg.type === 'module' ? 'module' : pkg.type === 'commonjs' ? 'commonjs' : 'ambiguous';
    } catch {
      if (path.dirname(dir) === dir) return 'ambiguous';
    }
  }
}
