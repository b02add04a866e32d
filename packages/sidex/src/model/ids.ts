import { randomBytes } from 'node:crypto';

export type IdPrefix = 'side' | 'cap' | 'task';

/** `side_<epochMs>_<8 hex>`, as in docs/architecture.md. */
export function newExecutionId(prefix: IdPrefix): string {
  return `${prefix}_${Date.now()}_${randomBytes(4).toString('hex')}`;
}
