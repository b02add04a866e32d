// The engine's side of its guardian: the process itself is lifecycle/'s
// (lifecycle/guardian.ts), handed to the engine as a starter so that the
// engine spawns nothing before its run is guarded and imports nothing above it.
import type { TrackerOptions } from './tree/tree-tracker.js';

export interface GuardianExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it could not be spawned at all. */
  error?: string;
}

export interface GuardianRestart {
  /** The new guardian. */
  pid: number;
  /** The one that died (none when it could not be spawned). */
  previousPid: number | undefined;
  exit: GuardianExit;
  /** How long the restart waited: more than 0 once replacements keep dying. */
  delayMs: number;
}

export interface RunGuardian {
  /** The live guardian's pid; undefined between its death and its replacement, and once released. */
  readonly pid: number | undefined;
  /** Normal shutdown: the guardian sweeps once (finding nothing, normally) and exits. */
  release(): void;
}

/** Starts the guardian of one engine run; `onRestart` hears of each replacement. */
export type StartGuardian = (run: TrackerOptions, onRestart: (restart: GuardianRestart) => void) => RunGuardian;
