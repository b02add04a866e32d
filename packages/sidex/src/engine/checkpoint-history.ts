// Every checkpoint replaces the record's (what a resume starts from), and is
// noted in the execution's history. Notes are what is bounded: code that
// checkpoints 8 MB values in a loop filled the disk with their copies (300
// checkpoints of 1 MB made a 285 MB database). A value too large is noted by
// its size only, and an execution's history keeps its first checkpoints only.
import type { NewEvent } from '../store/execution-store.js';

/** The largest checkpoint value copied into the history, as bytes of JSON. */
export const HISTORY_CHECKPOINT_BYTES = 16 * 1024;
/** Checkpoints of one execution noted in its history; later ones only replace the record's. */
export const HISTORY_CHECKPOINTS = 1000;

/** The history event of an execution's `noted`-th checkpoint (counted from 0); undefined past the bound. */
export function checkpointEvent(noted: number, value: unknown, bytes: number, time = Date.now()): NewEvent | undefined {
  if (noted >= HISTORY_CHECKPOINTS) return undefined;
  return { time, type: 'checkpoint', data: bytes <= HISTORY_CHECKPOINT_BYTES ? value : { tooLargeForHistory: true, bytes } };
}
