// The frames of inline code name the file it was compiled as, in the
// runtime's scratch directory, at places of the rewritten code. The user
// wrote it as `displayName` (the file a CLI read, else "inline"): errors it
// reports name that file at the user's own lines and columns.
import { toUserPlace, type Mappings } from './positions.js';

let rewrite: ((stack: string) => string) | undefined;

export function showInlineFramesAs(compiledAs: string, displayName: string, mappings: Mappings | undefined): void {
  const frame = new RegExp(`${compiledAs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  rewrite = (stack) =>
    stack.replace(frame, (_, line: string, column: string) => {
      const place = toUserPlace(mappings, { line: Number(line), column: Number(column) });
      return `${displayName}:${place.line}:${place.column}`;
    });
}

/** A stack with the frames of inline code as the user wrote it. */
export function inlineFrames(stack: string): string {
  return rewrite ? rewrite(stack) : stack;
}
