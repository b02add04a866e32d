// What every component of a running pipeline is, inside the task host.
import type { ItemContent } from './item-content.js';
import type { ItemInfo, ItemResult, ResolvedComponent } from './pipeline.js';

/** A value a component sends on, along a lane. */
export type Emission = readonly [lane: string, value: unknown];

/** One item on its way through the pipeline. */
export interface ItemScope {
  info: ItemInfo;
  /** Built up by the response components. */
  result: ItemResult;
  /** The item's content, for the source. */
  content: ItemContent;
  /** Its pipe id. */
  pipeId: number;
  /** Sends a real-time message to the item's client (an `apaevt_sse` event). */
  sse(type: string, data: Record<string, unknown>): void;
}

export interface Component {
  /** Handles one value arriving on `lane`; what it returns goes on to the readers of those lanes. */
  process(lane: string, value: unknown, item: ItemScope): Emission[] | Promise<Emission[]>;
}

/** What components may know of the task around them. */
export interface HostEnv {
  token: string;
  executionId: string;
  args: string[];
  /** Aborts when the task is stopped. */
  signal: AbortSignal;
  cwd: string;
}

export type ComponentFactory = (spec: ResolvedComponent, env: HostEnv) => Component | Promise<Component>;

/** A lane value as text: strings as they are, other values as JSON. */
export function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype;

/**
 * What user code returned, as emissions: `undefined` sends nothing on (a
 * filter); `{lanes: {...}}` (and nothing else) sends each value along its
 * named lane; anything else goes on along the lane it came in on.
 */
export function emissionsOf(lane: string, value: unknown): Emission[] {
  if (value === undefined) return [];
  if (isPlainObject(value) && Object.keys(value).length === 1 && isPlainObject(value.lanes)) {
    return Object.entries(value.lanes).filter(([, v]) => v !== undefined);
  }
  return [[lane, value]];
}
