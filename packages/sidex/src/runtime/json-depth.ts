// How deeply JSON text nests, found without parsing it. JSON.parse takes any
// depth, but JSON.stringify, and everything built on it (replies, events, the
// store), overflows the stack somewhere past 4,000 levels: a value that deep,
// once accepted, would crash whatever serializes it next.

/** Levels of arrays and objects a value crossing into the server may nest. */
export const MAX_VALUE_DEPTH = 1000;

export const tooDeep = (what: string) => `${what} nests deeper than ${MAX_VALUE_DEPTH} levels of arrays and objects, more than sidex keeps`;

/** Whether `text` (JSON, or anything: only brackets outside strings count) nests deeper than `max`. */
export function nestsDeeperThan(text: string, max: number): boolean {
  if (text.length <= max) return false; // too short to open that many
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
