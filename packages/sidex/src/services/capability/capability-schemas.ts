// The capability dialect's inputs, beside the shared ones of ../schemas.ts
// (params, timeout, start options and ids are the same for every dialect).
import { z } from 'zod';
import { CAPABILITY_TYPES } from '../../catalog/capabilities/capability.js';
import { ExecutionId, Params, StartOptions, StopOptions, TimeoutMs } from '../schemas.js';

export const CapabilityTypeInput = z.enum(CAPABILITY_TYPES, { error: `must be one of ${CAPABILITY_TYPES.join(', ')}` });

export const CapabilityName = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(500, 'is too long');

export const CapabilityFilterInput = z
  .object({
    type: CapabilityTypeInput.optional(),
    /** Capabilities carrying any of these tags. */
    tags: z.array(z.string().max(200), { error: 'must be a list of strings' }).max(100).optional(),
    author: z.string({ error: 'must be a string' }).max(200).optional(),
  })
  .strict();

/** A capability execution's id as a named field, so that an error names `executionId` (code INVALID_ID). */
export const CapabilityExecutionIdInput = z.object({ executionId: ExecutionId });

/** A stop of a capability execution; graceMs and force are sidex's, as for side executions. */
export const StopCapabilityInput = z.object({ executionId: ExecutionId, options: StopOptions.optional() });

export const CapabilityDetailInput = z.object({ capabilityName: CapabilityName, capabilityType: CapabilityTypeInput.nullish() });

export const StartCapabilityInput = z.object({
  capabilityName: CapabilityName,
  capabilityType: CapabilityTypeInput,
  params: Params.nullish(),
  timeout: TimeoutMs.nullish(),
  options: StartOptions.optional(),
});

export type CapabilityFilterType = z.infer<typeof CapabilityFilterInput>;
