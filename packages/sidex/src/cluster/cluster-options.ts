import type { StreamBounds } from './event-stream.js';
import { DEFAULT_STREAM_BOUNDS } from './event-stream.js';

export interface ClusterOptions {
  /** `redis://host:port[/db]`: the queue, the router and the events. */
  queue: string;
  /** How soon a dead worker's executions end `supervisor_lost` at the latest (default 10 s). */
  lossMs?: number;
  bounds?: StreamBounds;
}

export const DEFAULT_LOSS_MS = 10_000;

/**
 * BullMQ's lock and stalled check from the loss bound. A dead worker's lock
 * expires within a third of it; BullMQ's check finds a job stalled on the
 * second pass that sees it unlocked, two intervals of a sixth less than a
 * third: the loss is recorded within the bound, with a ninth of it to spare
 * for the event to travel and the record to be written. Stalled once is too
 * often (maxStalledCount 0): the job is failed, never run again.
 */
export function lockSettings(lossMs = DEFAULT_LOSS_MS): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  const third = Math.max(300, Math.floor(lossMs / 3));
  return { lockDuration: third, stalledInterval: Math.max(200, Math.floor((third * 5) / 6)), maxStalledCount: 0 };
}

export const boundsOf = (options: ClusterOptions): StreamBounds => options.bounds ?? DEFAULT_STREAM_BOUNDS;
