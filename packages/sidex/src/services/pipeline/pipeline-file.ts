// The pipeline file of docs/rocketride.md. Unknown keys are kept, not
// refused: RocketRide files carry editor data (`ui`, positions, descriptions)
// that sidex has no use for but must not choke on.
import { z } from 'zod';

const Id = z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(200, 'is too long');

export const LaneInputSchema = z.looseObject({
  lane: z.string({ error: 'must be a string naming a lane' }).min(1, 'must not be empty').max(200, 'is too long'),
  from: Id,
});

export const ComponentSchema = z.looseObject({
  id: Id,
  provider: z.string({ error: 'must be a string naming a provider' }).min(1, 'must not be empty').max(200, 'is too long'),
  name: z.string().optional(),
  description: z.string().optional(),
  config: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
  input: z.array(LaneInputSchema, { error: 'must be an array of {lane, from}' }).optional(),
});

export const PipelineFileSchema = z.looseObject(
  {
    components: z.array(ComponentSchema, { error: 'must be an array of components' }).min(1, 'must list at least one component'),
    source: Id.optional(),
    project_id: z.string({ error: 'must be a string' }).max(200, 'is too long').optional(),
    version: z.union([z.string(), z.number()]).optional(),
    name: z.string().max(200).optional(),
  },
  { error: 'must be a pipeline object: {components, source?, project_id?} or {pipeline: {...}}' },
);

export type PipelineFile = z.infer<typeof PipelineFileSchema>;
export type ComponentEntry = z.infer<typeof ComponentSchema>;

/** `{pipeline: {...}}` (a `.pipe` file) is the same pipeline, wrapped. */
export function unwrapPipeline(raw: unknown): unknown {
  if (raw && typeof raw === 'object' && !Array.isArray(raw) && 'pipeline' in raw && !('components' in raw)) {
    return (raw as { pipeline: unknown }).pipeline;
  }
  return raw;
}
