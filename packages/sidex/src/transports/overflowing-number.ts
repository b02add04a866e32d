// JSON numbers past what a double holds (1e400, or 400 digits) parse as
// ±Infinity, which JSON.stringify then writes as null: a param changed
// without a word. Found cheaply: only a text with a three-digit exponent, or
// a run of 309 digits, is parsed again to find the key that holds one.
const SUSPECT = /[eE]\+?\d{3}|\d{309}/;

/** The key of the first number in `text` (JSON) that is not finite once parsed; undefined when there is none. */
export function overflowingNumberKey(text: string): string | undefined {
  if (!SUSPECT.test(text)) return undefined;
  let found: string | undefined;
  try {
    JSON.parse(text, (key, value: unknown) => {
      if (found === undefined && typeof value === 'number' && !Number.isFinite(value)) found = key === '' ? '(the value)' : key;
      return value;
    });
  } catch {
    return undefined; // not JSON: its parser says so
  }
  return found;
}

export const overflowMessage = (key: string) => `"${key}" holds a number beyond what JSON's doubles hold (about ±1.8e308)`;
