// What the server runs of inline code (docs/inline-code.md lists it): the
// rewritten text of each form of static import, lines kept where they were,
// and places in the rewritten code taken back to the user's.
import { describe, expect, it } from 'vitest';
import { InlineSyntaxError } from '../src/runtime/compile-inline.js';
import { prepareCheckedInline, prepareInline } from '../src/runtime/inline/prepare-inline.js';
import { toUserPlace } from '../src/runtime/inline/positions.js';

describe('static imports become dynamic imports where they stand', () => {
  it.each([
    ["import x from 'y';", "const { default: x } = await import('y');"],
    ["import { a, b as c } from 'y'", "const { a, b: c } = await import('y');"],
    ["import { 'a-b' as c } from 'y';", "const { 'a-b': c } = await import('y');"],
    ["import x, { a } from 'y';", "const { default: x, a } = await import('y');"],
    ["import * as ns from 'y';", "const ns = await import('y');"],
    ["import x, * as ns from 'y';", "const ns = await import('y'); const x = ns.default;"],
    ["import 'y';", "await import('y');"],
    ["import j from './j.json' with { type: 'json' };", "const { default: j } = await import('./j.json', { with: { type: 'json' } });"],
  ])('%s', (written, runs) => {
    const prepared = prepareInline(`${written}\nreturn 1;`);
    expect(prepared.code).toBe(`${runs}\nreturn 1;`);
    // Only the code's own awaits make it unwindable.
    expect(prepared.unwindable).toBe(false);
  });

  it('a multi-line import keeps every later line where it was', () => {
    const prepared = prepareInline("import {\n  a,\n  b,\n} from 'y';\nawait a;");
    expect(prepared.code.split('\n')).toHaveLength(5);
    expect(prepared.code.split('\n')[4]).toBe('await __sidexAwait(a);');
    expect(prepared.unwindable).toBe(true);
  });

  it('code that is a valid function body is never parsed as a module: sloppy code keeps working', () => {
    const sloppy = 'with (Math) { await max(1, 2); }\nvar import1 = 010;';
    expect(prepareInline(sloppy).code).toBe('with (Math) { await __sidexAwait(max(1, 2)); }\nvar import1 = 010;');
    expect(() => prepareCheckedInline(sloppy)).not.toThrow();
  });

  it('code with nothing to rewrite runs as it was, with no mappings', () => {
    expect(prepareInline('return 1 + 1')).toEqual({ code: 'return 1 + 1', unwindable: false });
  });
});

describe('places in the rewritten code are the user\'s', () => {
  it('columns after rewritten awaits, and at the inserted text, map back', () => {
    const code = 'await a; await b; throw x;';
    const prepared = prepareInline(code);
    const generated = prepared.code.indexOf('throw') + 1;
    expect(toUserPlace(prepared.mappings, { line: 1, column: generated })).toEqual({ line: 1, column: code.indexOf('throw') + 1 });
    // Inside `__sidexAwait(` the place is that of the awaited value.
    expect(toUserPlace(prepared.mappings, { line: 1, column: prepared.code.indexOf('__sidexAwait') + 3 })).toEqual({ line: 1, column: 7 });
  });

  it('a syntax error V8 finds in the rewritten code is thrown at the user\'s place', () => {
    try {
      prepareCheckedInline("import x from 'y';\nawait x; await x; let x = 1;");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InlineSyntaxError);
      expect((err as InlineSyntaxError).place).toEqual({ message: "Identifier 'x' has already been declared", line: 2, column: 23 });
    }
  });
});
