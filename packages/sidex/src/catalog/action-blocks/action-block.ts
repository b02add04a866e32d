/** An action block as the Codebolt dialect describes it (shared/PROTOCOLS.md §1). */
export interface ActionBlockInput {
  name: string;
  type: string;
  description?: string;
  required?: boolean;
  default?: unknown;
}

export type ActionBlockSource = 'filesystem' | 'runtime' | 'builtin';

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
  metadata: {
    author?: string;
    tags?: string[];
    dependencies?: Record<string, string> | string[];
    inputs?: ActionBlockInput[];
    outputs?: ActionBlockInput[];
  };
}

/** A problem found while reading a block, precise enough to fix it. */
export interface CatalogWarning {
  file: string;
  field?: string;
  message: string;
}
