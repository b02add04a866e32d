// What the server resolves and the task host runs. Both sides use these
// shapes; they live with the host because the server may import the runtime,
// never the reverse. The item result crosses the wire, so it is the protocol package's.
export type { PipelineResult as ItemResult } from '@sidex/protocol';

export type ProviderRole = 'source' | 'transform' | 'sink';

/** One `{lane, from}` connection: this component reads `lane` of component `from`. */
export interface LaneInput {
  lane: string;
  from: string;
}

/** A component after validation: what the task host needs to build it. */
export interface ResolvedComponent {
  id: string;
  provider: string;
  role: ProviderRole;
  config: Record<string, unknown>;
  input: LaneInput[];
  /** Absolute entry file of an `actionblock` component, resolved and confined by the server. */
  blockEntry?: string;
}

/** A validated pipeline: the parameters of a task's host. */
export interface ResolvedPipeline {
  name: string;
  projectId: string;
  source: string;
  components: ResolvedComponent[];
}

/** The metadata of one item, as the caller opened it. */
export interface ItemInfo {
  name: string;
  objectId: string;
  mimeType: string;
  size: number;
}
