import type { ExternalSettlement, StopOptions } from '../engine/engine.js';
import type { ReplyAddress } from './control-request.js';

/** What a server asks of the worker holding an execution. */
export type ControlMessage =
  | { op: 'stop'; id: string; options: StopOptions }
  | { op: 'message'; id: string; value: unknown }
  | { op: 'progress'; id: string; value: unknown }
  | { op: 'settle'; id: string; settlement: ExternalSettlement }
  /** Bytes for a command's stdin, in Redis under `bytes` (keys.ts: stdinBytes) rather than broadcast to every worker; answered at `reply`. */
  | { op: 'stdin'; id: string; bytes?: string; close: boolean; reply: ReplyAddress };

export function parseControl(text: string): ControlMessage | undefined {
  try {
    const message = JSON.parse(text) as ControlMessage;
    return typeof message?.id === 'string' && typeof message.op === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
