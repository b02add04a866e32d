// The typed inputs of the pipeline service's calls. Each dialect parses its
// requests into these at its edge (transports/dap/requests.ts for DAP, /task and
// the in-process API); the service checks only what needs its state or limits
// (the pipeline itself, threads against its maximum, item sizes).
import type { MonitorType } from '../../engine/pipelines/events.js';
import type { MonitorTarget } from './monitors.js';

/** A task to start. */
export interface UseInput {
  /** The pipeline as the caller gave it; the service validates it. */
  pipeline: unknown;
  args?: string[] | undefined;
  /** Idle seconds before the task ends by itself; 0 never. */
  ttl?: number | undefined;
  token?: string | undefined;
  threads?: number | undefined;
  /** Answer the running (or starting) task of this token, or of the pipeline's project and source. */
  useExisting?: boolean | undefined;
  name?: string | undefined;
  source?: string | undefined;
  drainMs?: number | undefined;
  /** Environment of the task's process; only ROCKETRIDE_* variables are kept. */
  env?: Record<string, string> | undefined;
}

/** A task, by its token. */
export interface TaskRef {
  token: string;
}

/** The task running a project's source. */
export interface ProjectRef {
  projectId: string;
  source: string;
}

export interface TerminateInput extends TaskRef {
  drainMs?: number | undefined;
  force?: boolean | undefined;
}

/** The task to restart (by token, or by projectId and source), and the pipeline it runs next (else the one it ran). */
export interface RestartInput {
  token?: string | undefined;
  projectId?: string | undefined;
  source?: string | undefined;
  pipeline?: unknown;
}

export interface ValidateInput {
  pipeline: unknown;
  source?: string | undefined;
}

/** An item to open: its name and metadata, and its mime type (default text/plain). */
export interface OpenInput extends TaskRef {
  object?: Record<string, unknown> | undefined;
  mimeType?: string | undefined;
}

/** An open item of a task. */
export interface PipeRef extends TaskRef {
  pipe_id: number;
}

export interface WriteInput extends PipeRef {
  data: Uint8Array | string;
}

/** rrext_process: open, write, close or abandon (gives an open item up). */
export type ProcessInput = ({ subcommand: 'open' } & OpenInput) | ({ subcommand: 'write' } & WriteInput) | ({ subcommand: 'close' | 'abandon' } & PipeRef);

/** What a monitor watches and which of its events it receives (none: an unsubscribe). */
export interface MonitorInput {
  target: MonitorTarget;
  types: MonitorType[];
}

/** rrext_services: one provider's definition, or (without) all. */
export interface ServicesInput {
  service?: string | undefined;
}
