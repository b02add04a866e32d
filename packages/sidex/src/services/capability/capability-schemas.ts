// The capability dialect's fields, beside the shared ones of ../schemas.ts
// (params, timeout, start options and ids are the same for every dialect).
import { z } from 'zod';
import { CAPABILITY_TYPES } from '../../catalog/capabilities/capability.js';

export const CapabilityTypeInput = z.enum(CAPABILITY_TYPES, { error: `must be one of ${CAPABILITY_TYPES.join(', ')}` });

export const CapabilityName = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(500, 'is too long');

/** Capabilities of a type, carrying any of some tags, by an author (each optional). */
export const CapabilityFilterInput = z
  .object({
    type: CapabilityTypeInput.optional(),
    /** Capabilities carrying any of these tags. */
    tags: z.array(z.string().max(200), { error: 'must be a list of strings' }).max(100).optional(),
    author: z.string({ error: 'must be a string' }).max(200).optional(),
  })
  .strict();

export type CapabilityFilterType = z.infer<typeof CapabilityFilterInput>;

