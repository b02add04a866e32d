// Request schemas of the capability routes, composed from the capability
// dialect's own (services/capability/capability-schemas.ts).
import { z } from 'zod';
import { CAPABILITY_TYPES } from '../../catalog/capabilities/capability.js';
import { CapabilityName, CapabilityTypeInput } from '../../services/capability/capability-schemas.js';
import { ExecutionId, Params, StartOptions, TimeoutMs } from '../../services/schemas.js';

export const CapabilitiesQuery = z
  .object({
    type: CapabilityTypeInput.optional().describe(`one of ${CAPABILITY_TYPES.join(', ')}`),
    tag: z.string().max(2000).optional().describe('comma-separated tags: capabilities carrying any of them'),
    author: z.string().max(200).optional().describe('author, in any case'),
  })
  .strict();

export const CapabilityNameParams = z.object({ name: CapabilityName.describe('capability name') }).strict();

export const CapabilityDetailQuery = z.object({ type: CapabilityTypeInput.optional().describe('its type, when names are shared across types') }).strict();

export const StartCapabilityBody = z
  .object({
    type: CapabilityTypeInput.describe(`one of ${CAPABILITY_TYPES.join(', ')}`),
    params: Params.optional().describe('named values, checked against its declared inputs'),
    timeout: TimeoutMs.optional().describe('ms of running after which it is stopped; 0 or absent: none'),
    options: StartOptions.optional(),
  })
  .strict();

export const CapabilityExecutionParams = z.object({ id: ExecutionId.describe('capability execution id, e.g. cap_1700000000000_1a2b3c4d') }).strict();
