// Inline code is the body of an async function, where a static `import` is a
// syntax error. Those at its top level are turned into dynamic imports where
// they stand (docs/inline-code.md lists the forms); `export` has no meaning
// there and is refused with what to do instead.
import type { Node } from 'acorn';
import type MagicString from 'magic-string';
import { placeOf } from './positions.js';

interface Named {
  type: string;
  name?: string;
  raw?: string;
}

interface Specifier extends Node {
  imported?: Named;
  local: Named;
}

interface ImportNode extends Node {
  specifiers: Specifier[];
  source: { raw: string };
  attributes?: { key: Named; value: { raw: string } }[];
}

export class InlineExportError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/** Rewrites the top-level import declarations of `program` in `edits`; throws InlineExportError at the first export. */
export function rewriteStaticImports(program: Node & { body: Node[] }, source: string, edits: MagicString): void {
  for (const statement of program.body) {
    if (statement.type === 'ImportDeclaration') {
      const text = dynamicImport(statement as ImportNode);
      // The statement's own line breaks follow it, so that every later line stays where it was.
      const breaks = source.slice(statement.start, statement.end).split('\n').length - 1;
      edits.overwrite(statement.start, statement.end, text + '\n'.repeat(breaks));
    } else if (statement.type.startsWith('Export')) {
      const { line, column } = placeOf(source, statement.start);
      throw new InlineExportError('`export` is not supported in inline code: it is the body of an async function; `return` the result instead', line, column);
    }
  }
}

function dynamicImport(node: ImportNode): string {
  const attributes = node.attributes?.length ? `, { with: { ${node.attributes.map((a) => `${keyText(a.key)}: ${a.value.raw}`).join(', ')} } }` : '';
  const loaded = `await import(${node.source.raw}${attributes})`;
  const namespace = node.specifiers.find((s) => s.type === 'ImportNamespaceSpecifier');
  const defaults = node.specifiers.find((s) => s.type === 'ImportDefaultSpecifier');
  if (namespace) return `const ${namespace.local.name} = ${loaded};${defaults ? ` const ${defaults.local.name} = ${namespace.local.name}.default;` : ''}`;
  if (node.specifiers.length === 0) return `${loaded};`;
  const names = node.specifiers.map((s) => {
    const imported = s.type === 'ImportDefaultSpecifier' ? 'default' : keyText(s.imported!);
    return imported === s.local.name ? imported : `${imported}: ${s.local.name}`;
  });
  return `const { ${names.join(', ')} } = ${loaded};`;
}

/** An identifier, or a string literal's source text (`import { 'a-b' as c }`). */
const keyText = (key: Named): string => (key.type === 'Identifier' ? key.name! : key.raw!);
