import type { ExecutionEvent } from '@sidex/protocol';
import type { ExecutionRecord, OutputEvent } from '../../engine/index.js';
import { isTerminal } from '../../model/record.js';

/** A status change, without the captured output (subscribers get that as output events). */
export function statusEvent(r: ExecutionRecord): ExecutionEvent {
  const terminal = isTerminal(r.status);
  return {
    event: 'status',
    sideExecutionId: r.id,
    status: r.status,
    name: r.name,
    time: Date.now(),
    terminal,
    ...(terminal && r.result !== undefined ? { result: r.result } : {}),
    ...(r.error ? { failure: r.error } : {}),
    ...(r.stopReason ? { stopReason: r.stopReason } : {}),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
  };
}

export function outputEvent(e: OutputEvent): ExecutionEvent {
  return { event: 'output', sideExecutionId: e.id, stream: e.stream, data: e.data, time: e.time };
}
