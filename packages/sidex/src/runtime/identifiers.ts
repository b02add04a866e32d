const reserved = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for ' +
    'function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
    'yield let static implements interface package private protected public await async arguments eval undefined NaN Infinity')
    .split(' '),
);

/** Whether `name` can be a parameter name of a sloppy-mode async function. */
export function isBindableIdentifier(name: string): boolean {
  return /^[A-Za-z_$][\w$]*$/.test(name) && !reserved.has(name);
}
