import type { ExternalSettlement, StopOptions } from '../engine/engine.js';
import type { ReplyAddress } from './control-request.js';

/** What a server asks of the worker holding an execution. */
export type ControlMessage =
  | { op: 'stop'; id: string; options: StopOptions }
  /** Its inbox has entries (inbox.ts): only a wake-up, which may be lost. */
  | { op: 'inbox'; id: string }
  | { op: 'settle'; id: string; settlement: ExternalSettlement }
  /** A write to a command's stdin: its bytes are the request's payload (control-request.ts), not broadcast to every worker. */
  | { op: 'stdin'; id: string; close: boolean; reply: ReplyAddress }
  /** The processes of its tree, which only its worker's machine can see (an empty payload). */
  | { op: 'processes'; id: string; reply: ReplyAddress };

export function parseControl(text: string): ControlMessage | undefined {
  try {
    const message = JSON.parse(text) as ControlMessage;
    return typeof message?.id === 'string' && typeof message.op === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
