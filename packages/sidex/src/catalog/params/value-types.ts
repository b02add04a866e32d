import type { InputType } from './inputs.js';

/** What is wrong with `value` as a `type`, or undefined when it fits. */
export function typeProblem(value: unknown, type: InputType): string | undefined {
  const fits: Record<InputType, (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    number: (v) => typeof v === 'number' && Number.isFinite(v),
    integer: (v) => typeof v === 'number' && Number.isInteger(v),
    boolean: (v) => typeof v === 'boolean',
    object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    array: (v) => Array.isArray(v),
    any: () => true,
  };
  return fits[type](value) ? undefined : `must be ${article(type)} ${type}, got ${describe(value)}`;
}

function article(type: InputType): string {
  return /^[aeiou]/.test(type) ? 'an' : 'a';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
