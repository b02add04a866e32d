// Where a place of the code that runs (inline code after its rewrites) is in
// the code the user wrote. The rewrites keep every line where it was and
// record what moved in a source map (magic-string's decoded mappings, one
// segment at the start of each line and of each edit: small enough to cross
// to the runtime with the code).

/** Per line of the code that runs: [column, source, original line, original column] segments, all 0-based. */
export type Mappings = number[][][];

export interface Place {
  /** 1-based, as V8 and editors count. */
  line: number;
  column: number;
}

/** The user's place of a place (1-based) in the rewritten code; the same place when nothing was rewritten. */
export function toUserPlace(mappings: Mappings | undefined, place: Place): Place {
  const segments = mappings?.[place.line - 1];
  if (!segments?.length) return place;
  const column = place.column - 1;
  let i = segments.length - 1;
  while (i > 0 && segments[i]![0]! > column) i--;
  const [generated = 0, , line = place.line - 1, original = 0] = segments[i]!;
  const next = segments[i + 1];
  // Past the unedited text of a segment lies text a rewrite added: it is placed where the next original text begins.
  const mapped = next && next[2] === line && original + (column - generated) >= next[3]! ? next[3]! : original + Math.max(0, column - generated);
  return { line: line + 1, column: mapped + 1 };
}

/** The 1-based place of a 0-based offset of `source`. */
export function placeOf(source: string, offset: number): Place {
  const before = source.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** The place just after the last character of `source` that is not white space (where its input ends). */
export function endOf(source: string): Place {
  return placeOf(source, source.trimEnd().length);
}
