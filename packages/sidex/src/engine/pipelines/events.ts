// The events of a task (shared/PROTOCOLS.md §3) and the monitor types that select them.

export type PipelineEventName = 'apaevt_status_update' | 'apaevt_task' | 'apaevt_flow' | 'output';

export interface PipelineEvent {
  /** The task it is about. */
  token: string;
  event: PipelineEventName;
  body: Record<string, unknown>;
}

export const MONITOR_TYPES = ['SUMMARY', 'TASK', 'OUTPUT', 'DETAIL', 'FLOW', 'SSE', 'ALL'] as const;
export type MonitorType = (typeof MONITOR_TYPES)[number];

/** Which subscribed types receive an event. DETAIL gets the status too; SSE has no events in sidex yet. */
export const TYPES_OF_EVENT: Record<PipelineEventName, readonly MonitorType[]> = {
  apaevt_status_update: ['SUMMARY', 'DETAIL', 'ALL'],
  apaevt_task: ['TASK', 'ALL'],
  apaevt_flow: ['FLOW', 'ALL'],
  output: ['OUTPUT', 'ALL'],
};
