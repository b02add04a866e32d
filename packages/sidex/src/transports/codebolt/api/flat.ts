import { SidexError } from '../../../errors.js';

/**
 * Options the SDK spreads flat onto its frame (a stop's graceMs and force,
 * an events query's after and limit), as an object to spread the same way.
 */
export function flat(options: unknown, what: string): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (typeof options === 'object' && !Array.isArray(options)) return options as Record<string, unknown>;
  throw new SidexError('INVALID_ARGUMENT', `options: must be an object (${what})`, { field: 'options' });
}
