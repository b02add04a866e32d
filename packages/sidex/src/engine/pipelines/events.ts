// The events of a task (docs/rocketride.md) and the monitor types that select them.

export type PipelineEventName = 'apaevt_status_update' | 'apaevt_task' | 'apaevt_flow' | 'apaevt_sse' | 'output';

export interface PipelineEvent {
  /** The task it is about. */
  token: string;
  /** That task's id (its execution), sent as the event's top-level `id` as RocketRide does. */
  id?: string;
  /** The task's project and source: monitors by `{projectId, source}` select on them. */
  projectId?: string;
  source?: string;
  event: PipelineEventName;
  body: Record<string, unknown>;
}

export const MONITOR_TYPES = ['SUMMARY', 'TASK', 'OUTPUT', 'DETAIL', 'FLOW', 'SSE', 'ALL'] as const;
export type MonitorType = (typeof MONITOR_TYPES)[number];

/**
 * RocketRide's EVENT_TYPE bits. DEBUGGER and DASHBOARD have no events in
 * sidex: asked for, they are accepted and deliver nothing, as RocketRide
 * ignores a type it does not know.
 */
export const EVENT_TYPE_BITS: Record<string, MonitorType | undefined> = {
  DEBUGGER: undefined,
  DETAIL: 'DETAIL',
  SUMMARY: 'SUMMARY',
  OUTPUT: 'OUTPUT',
  FLOW: 'FLOW',
  TASK: 'TASK',
  SSE: 'SSE',
  DASHBOARD: undefined,
};

/** The types of a bitmask (bit n is the n-th key of EVENT_TYPE_BITS); unknown bits are ignored. */
export function typesOfBitmask(mask: number): MonitorType[] {
  return Object.values(EVENT_TYPE_BITS).filter((type, bit): type is MonitorType => type !== undefined && (mask & (1 << bit)) !== 0);
}

/** The types named (in any case); names sidex has no events for are ignored. */
export function typesOfNames(names: readonly string[]): MonitorType[] {
  const known = new Set<string>(MONITOR_TYPES);
  return [...new Set(names.map((n) => n.toUpperCase()).filter((n): n is MonitorType => known.has(n)))];
}

/** Which subscribed types receive an event. DETAIL gets the status too; SSE has no events in sidex yet. */
export const TYPES_OF_EVENT: Record<PipelineEventName, readonly MonitorType[]> = {
  apaevt_status_update: ['SUMMARY', 'DETAIL', 'ALL'],
  apaevt_task: ['TASK', 'ALL'],
  apaevt_flow: ['FLOW', 'ALL'],
  apaevt_sse: ['SSE', 'ALL'],
  output: ['OUTPUT', 'ALL'],
};
