import type { InputSpec } from '../params/inputs.js';

export type { CatalogWarning } from '../warning.js';

export const CAPABILITY_TYPES = ['skill', 'power', 'talent'] as const;
export type CapabilityType = (typeof CAPABILITY_TYPES)[number];

export const isCapabilityType = (value: unknown): value is CapabilityType => (CAPABILITY_TYPES as readonly unknown[]).includes(value);

/** Where an item was found: project over global over built-in. */
export type CatalogSource = 'project' | 'global' | 'builtin';

/** A skill, power or talent as the Codebolt `capability` dialect describes it (shared/PROTOCOLS.md §1). */
export interface Capability {
  id: string;
  name: string;
  type: CapabilityType;
  version: string;
  description: string;
  /** Capability directory (absolute). */
  path: string;
  source: CatalogSource;
  /** Entry file relative to `path`, when the capability has code of its own. */
  entryPoint?: string;
  /** Its SKILL.md (absolute), when it has one. */
  skillFile?: string;
  /** The executor its manifest asks for; otherwise the first that supports its type. */
  executor?: string;
  metadata: {
    author?: string;
    tags?: string[];
    inputs?: InputSpec[];
    outputs?: unknown[];
    [key: string]: unknown;
  };
}

/** What runs capabilities of some types (Codebolt's `CapabilityExecutor`). */
export interface CapabilityExecutor {
  id: string;
  name: string;
  version: string;
  description: string;
  supportedTypes: CapabilityType[];
  /** Entry file relative to `path`. */
  entryPoint: string;
  /** Executor directory (absolute). */
  path: string;
  source: CatalogSource;
}
