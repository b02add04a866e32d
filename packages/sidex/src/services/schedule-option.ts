import type { Schedule } from '../engine/execution.js';
import type { StartOptionsInput } from './schemas.js';

/** The start's cluster scheduling options, as the spec carries them (none given: no field). */
export function scheduleOf(options: StartOptionsInput | undefined): { schedule?: Schedule } {
  if (!options) return {};
  const { priority, tags, retries, backoffMs } = options;
  const schedule: Schedule = {
    ...(priority !== undefined ? { priority } : {}),
    ...(tags?.length ? { tags: [...new Set(tags)].sort() } : {}),
    ...(retries !== undefined ? { retries } : {}),
    ...(backoffMs !== undefined ? { backoffMs } : {}),
  };
  return Object.keys(schedule).length > 0 ? { schedule } : {};
}
