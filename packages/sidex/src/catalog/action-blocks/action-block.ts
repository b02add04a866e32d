import type { InputSpec } from '../params/inputs.js';

export type { CatalogWarning } from '../warning.js';

/** An input or output a block declares. */
export type ActionBlockInput = InputSpec;

export type ActionBlockSource = 'filesystem' | 'runtime' | 'builtin';

/** An action block as the Codebolt dialect describes it (shared/PROTOCOLS.md §1). */
export interface ActionBlock {
  id: string;
  name: string;
  description: string;
  version: string;
  /** Entry file, relative to the block directory. */
  entryPoint: string;
  /** Block directory (absolute). */
  path: string;
  type: ActionBlockSource;
  /**
   * `codebolt`: a Codebolt SDK program, run with Codebolt's environment and
   * settled over the WebSocket or IPC; `sidex`: an entry that exports a
   * function (params, ctx) or a plain script.
   */
  protocol: 'sidex' | 'codebolt';
  metadata: {
    author?: string;
    tags?: string[];
    dependencies?: Record<string, string> | string[];
    inputs?: ActionBlockInput[];
    outputs?: ActionBlockInput[];
  };
}
