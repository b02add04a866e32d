// The `inputs` a manifest declares (actionblock.yml metadata.inputs,
// capability.yaml inputs): read once when the item is read, so that a start
// only has to apply them.
import type { InputSpec } from '@sidex/protocol';
import { SidexError } from '../../errors.js';
import { isObject } from '../manifest.js';
import type { CatalogWarning } from '../warning.js';
import { typeProblem } from './value-types.js';

export const INPUT_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'any'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export type { InputSpec };

/** The type params are checked against: a known type, or `any` for one sidex does not know (warned at read time). */
export function checkedType(input: InputSpec): InputType {
  const type = input.type.toLowerCase();
  return (INPUT_TYPES as readonly string[]).includes(type) ? (type as InputType) : 'any';
}

/**
 * Validates a declared inputs list. A list that is not a list, or an input
 * without a name, breaks the item (INVALID_MANIFEST); an unknown type or a
 * default of the wrong type is only a warning: the item stays usable.
 */
export function readInputs(value: unknown, file: string, field: string, warnings: CatalogWarning[]): InputSpec[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    throw new SidexError('INVALID_MANIFEST', `${file}: field "${field}" must be a list of inputs`, { file, field });
  }
  const seen = new Set<string>();
  return value.map((raw, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(raw) || typeof raw.name !== 'string' || raw.name.trim() === '') {
      throw new SidexError('INVALID_MANIFEST', `${file}: field "${at}.name" is required and must be a non-empty string`, { file, field: `${at}.name` });
    }
    // `required` is always a boolean, as the SDK's type says: absent means false.
    const input: InputSpec = { ...raw, name: raw.name, type: typeof raw.type === 'string' && raw.type.trim() !== '' ? raw.type : 'any', required: raw.required === true };
    if (raw.required !== undefined && typeof raw.required !== 'boolean') {
      throw new SidexError('INVALID_MANIFEST', `${file}: field "${at}.required" must be true or false`, { file, field: `${at}.required` });
    }
    if (seen.has(input.name)) warnings.push({ file, field: `${at}.name`, message: `${file}: input "${input.name}" is declared twice; the first declaration is checked` });
    seen.add(input.name);
    if (!(INPUT_TYPES as readonly string[]).includes(input.type.toLowerCase())) {
      warnings.push({ file, field: `${at}.type`, message: `${file}: input "${input.name}" has unknown type "${input.type}" (known: ${INPUT_TYPES.join(', ')}); its values are not checked` });
    } else if (input.default !== undefined && input.default !== null) {
      const problem = typeProblem(input.default, checkedType(input));
      if (problem) warnings.push({ file, field: `${at}.default`, message: `${file}: default of input "${input.name}" ${problem}` });
    }
    return input;
  });
}
