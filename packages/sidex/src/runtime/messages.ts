// The IPC contract between the supervisor (engine) and the runtime in the child.
// Values that cross it are pre-serialized JSON text so that the runtime, not the
// IPC layer, decides what "not serializable" means and reports it clearly.
import type { ErrorInfo } from '@sidex/protocol';

import type { Mappings } from './inline/positions.js';

export type { ErrorInfo };

/**
 * The largest result, checkpoint or progress value that crosses back, as
 * bytes of JSON: status replies carry them (twice: flat and under `data`), and
 * must stay readable by every client.
 */
export const MAX_VALUE_BYTES = 8 * 1024 * 1024;

/**
 * The longest line the engine reads from a runtime's channel
 * (engine/pool/runtime-channel.ts): past it, the line is dropped and the
 * execution fails. The largest legitimate ones are ctx.send messages (a
 * pipeline's item results, at most 16 MB an item by default), which the
 * runtime refuses past this size and the pipeline host sends one at a time
 * when a turn's results would be longer together. A result, checkpoint or
 * progress value (MAX_VALUE_BYTES of JSON, escaped once more in the line) fits.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export type ExecSource =
  /**
   * Inline code as prepared by runtime/inline/prepare-inline.ts: `unwindable` when its awaits were
   * rewritten so that a stop can unwind it, `mappings` back to the user's places when anything was.
   * `filename` is what it is compiled as (its __filename), `displayName` what its errors name.
   */
  | { type: 'inline'; code: string; filename: string; displayName: string; unwindable?: boolean; mappings?: Mappings }
  | { type: 'block'; entry: string }
  /** A program: argv executed directly, no shell (runtime/command.ts). */
  | { type: 'command'; argv: string[]; stdin?: StdinStart };

/** A command's stdin at start: bytes to write first; `open`: more may follow (StdinMessage), else it is closed after them. */
export interface StdinStart {
  base64?: string;
  open: boolean;
}

export interface RunMessage {
  type: 'run';
  executionId: string;
  source: ExecSource;
  paramsJson: string;
  resumeFromJson?: string;
  cwd: string;
  env: Record<string, string>;
}

export interface StopMessage {
  type: 'stop';
}

/** A value from the caller to the running code (ctx.onMessage). */
export interface UserMessage {
  type: 'message';
  json: string;
}

/**
 * Sent once, answered by `warmed`, before a runtime counts as ready: a
 * process's first IPC message costs 1.5–2 ms more than later ones (measured),
 * and without it every start would pay that, its `run` being the first.
 */
export interface WarmMessage {
  type: 'warm';
}

/** More bytes for a command's open stdin, and/or its end. */
export interface StdinMessage {
  type: 'stdin';
  base64?: string;
  close?: boolean;
}

export type SupervisorMessage = RunMessage | StopMessage | UserMessage | WarmMessage | StdinMessage;

export type RuntimeMessage =
  | { type: 'ready' }
  | { type: 'warmed' }
  | { type: 'started' }
  | { type: 'startFailed'; error: ErrorInfo }
  | { type: 'checkpoint'; json: string }
  | { type: 'progress'; json: string }
  | { type: 'message'; json: string }
  | { type: 'result'; json?: string; cpuMicros: number }
  | { type: 'failed'; error: ErrorInfo; cpuMicros: number }
  | { type: 'stopped'; json?: string; cpuMicros: number }
  /** A stop's onStop handlers returned this while the code has not ended: kept should the grace end in a kill. */
  | { type: 'partial'; json: string }
  /** A command's program ended: its own exit code or signal. */
  | { type: 'exited'; code: number | null; signal: string | null; cpuMicros: number }
  /** Bytes of stdin handed to the program's pipe (or dropped, its reader gone). */
  | { type: 'stdinWritten'; bytes: number };

/**
 * Messages Codebolt-built code sends over its IPC channel (Codebolt's server
 * accepts them); sidex settles the execution on them too.
 */
export type CodeboltIpcMessage =
  | { type: 'sideExecutionComplete'; result?: unknown }
  | { type: 'sideExecutionError'; error?: unknown };
