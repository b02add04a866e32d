import type { CatalogWarning } from '@sidex/protocol';
import type { SidexError } from '../errors.js';

export type { CatalogWarning };

/** The warning for an item that could not be read: its error names file and field when it knows them. */
export function warningOf(err: unknown, fallbackFile: string): CatalogWarning {
  const details = (err as Partial<SidexError>).details ?? {};
  return {
    file: typeof details.file === 'string' ? details.file : fallbackFile,
    ...(typeof details.field === 'string' ? { field: details.field } : {}),
    message: (err as Error).message,
  };
}
