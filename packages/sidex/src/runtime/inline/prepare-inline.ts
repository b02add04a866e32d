// Inline code as it will run: its top-level static imports turned into
// dynamic ones (static-imports.ts) and its awaits rewritten so that a stop
// can unwind it (unwind/instrument.ts), in one pass of magic-string whose
// mappings take every place back to the code the user wrote (positions.ts).
import { parse, type Node } from 'acorn';
import MagicString from 'magic-string';
import { checkInlineSyntax, InlineSyntaxError } from '../compile-inline.js';
import type { SyntaxPlace } from '../syntax-location.js';
import { PARSE_OPTIONS, rewriteAwaits } from '../unwind/instrument.js';
import { endOf, placeOf, toUserPlace, type Mappings } from './positions.js';
import { InlineExportError, rewriteStaticImports } from './static-imports.js';

export interface PreparedInline {
  code: string;
  /** When something was rewritten: the way back to the user's places. */
  mappings?: Mappings;
  /** Its awaits were rewritten, so that a stop can unwind it. */
  unwindable: boolean;
}

type Program = Node & { body: Node[] };

/** The code to run; as it was when there is nothing to rewrite or it does not parse (its syntax error is V8's to report). */
export function prepareInline(code: string): PreparedInline {
  const parsed = /await|import|export/.test(code) ? parseInline(code) : undefined;
  if (!parsed) return { code, unwindable: false };
  const edits = new MagicString(code);
  if (parsed.module) rewriteStaticImports(parsed.program, code, edits);
  const awaits = rewriteAwaits(parsed.program, edits);
  if (!edits.hasChanged()) return { code, unwindable: false };
  return { code: edits.toString(), mappings: edits.generateDecodedMap({ hires: false }).mappings, unwindable: awaits > 0 };
}

/** As the body of an async function; only code that is not one, and names import or export, as a module-ish body. */
function parseInline(code: string): { program: Program; module: boolean } | undefined {
  try {
    return { program: parse(code, PARSE_OPTIONS.body) as Program, module: false };
  } catch {
    if (!/\b(import|export)\b/.test(code)) return undefined;
  }
  try {
    return { program: parse(code, PARSE_OPTIONS.moduleBody) as Program, module: true };
  } catch {
    return undefined;
  }
}

/**
 * Prepares inline code and compiles it (never runs it): a syntax error, or an
 * export, throws InlineSyntaxError at the place the user wrote.
 */
export function prepareCheckedInline(code: string): PreparedInline {
  let prepared: PreparedInline;
  try {
    prepared = prepareInline(code);
  } catch (err) {
    if (!(err instanceof InlineExportError)) throw err;
    throw new InlineSyntaxError({ message: err.message, line: err.line, column: err.column });
  }
  try {
    checkInlineSyntax(prepared.code);
  } catch (err) {
    if (!(err instanceof InlineSyntaxError) || err.place.line === undefined) throw err;
    const { message, line, column } = err.place;
    // V8 draws no caret under some tokens (a character outside ASCII, such as §): acorn, which
    // parses the code as written, says where.
    if (column === undefined) {
      const early = acornError(code);
      if (early) throw new InlineSyntaxError({ message, ...placeOf(code, early.pos) });
    }
    throw new InlineSyntaxError(userSyntaxPlace(code, prepared.mappings, message, line, column ?? 1));
  }
  return prepared;
}

/**
 * V8 places an error that only the wrapper's closing brace reveals past the
 * user's code: code that ends too early (an unclosed bracket, string or
 * comment), for which Node says "Unexpected end of input" at the end of the
 * file, as this does; or a brace that closes the function early, which
 * acorn finds where the user wrote it. Every other place is mapped back
 * through the rewrites.
 */
function userSyntaxPlace(code: string, mappings: Mappings | undefined, message: string, line: number, column: number): SyntaxPlace {
  const lines = code.split('\n').length;
  const pastTheEnd = line > lines || (line === lines && column > code.length - code.lastIndexOf('\n'));
  // Imports are rewritten only in code that parses: V8 then stops at the first import, acorn at the real error.
  const importLeft = message === 'Cannot use import statement outside a module';
  if (!pastTheEnd && !importLeft) return { message, ...toUserPlace(mappings, { line, column }) };
  const early = acornError(code);
  if (early && early.pos < code.trimEnd().length) return { message: early.message.replace(/ \(\d+:\d+\)$/, ''), ...placeOf(code, early.pos) };
  if (importLeft) return { message, ...toUserPlace(mappings, { line, column }) };
  return { message: 'Unexpected end of input', ...endOf(code) };
}

function acornError(code: string): { pos: number; message: string } | undefined {
  try {
    parse(code, PARSE_OPTIONS[/\b(import|export)\b/.test(code) ? 'moduleBody' : 'body']);
    return undefined;
  } catch (err) {
    const pos = (err as { pos?: unknown }).pos;
    return typeof pos === 'number' ? { pos, message: (err as Error).message } : undefined;
  }
}
