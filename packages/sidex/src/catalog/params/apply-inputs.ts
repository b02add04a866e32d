import { SidexError } from '../../errors.js';
import { checkedType, type InputSpec } from './inputs.js';
import { typeProblem } from './value-types.js';

export interface ParamIssue {
  field: string;
  message: string;
}

/**
 * Checks params against declared inputs before anything starts: every
 * required input present, every present value of its type; defaults filled
 * in for absent ones (null counts as absent). Params the manifest does not
 * declare pass through unchecked, as in Codebolt. Throws INVALID_PARAMS
 * listing every bad field in `details.issues`.
 */
export function applyInputs(params: Record<string, unknown>, inputs: readonly InputSpec[] | undefined, what: string): Record<string, unknown> {
  if (!inputs || inputs.length === 0) return params;
  const out: Record<string, unknown> = { ...params };
  const issues: ParamIssue[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    if (seen.has(input.name)) continue;
    seen.add(input.name);
    const field = `params.${input.name}`;
    const value = out[input.name];
    if (value === undefined || value === null) {
      if (input.default !== undefined) out[input.name] = structuredClone(input.default);
      else if (input.required) issues.push({ field, message: `is required (${input.type}${input.description ? `: ${input.description}` : ''})` });
      continue;
    }
    const problem = typeProblem(value, checkedType(input));
    if (problem) issues.push({ field, message: problem });
  }
  if (issues.length > 0) {
    const list = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
    throw new SidexError('INVALID_PARAMS', `invalid params for ${what}: ${list}`, { field: issues[0]!.field, issues });
  }
  return out;
}
