import path from 'node:path';
import type { Capability, CapabilityExecutor } from '../../catalog/capabilities/capability.js';

/** What a custom executor's entry receives as its first argument (see README, "Executors"). */
export interface ExecutorInput {
  capability: {
    name: string;
    type: Capability['type'];
    version: string;
    /** Capability directory: also the working directory of the run. */
    path: string;
    /** Absolute path of the capability's own code, when it has some. */
    entry?: string;
    /** Absolute path of its SKILL.md, when it has one. */
    skillFile?: string;
    metadata: Capability['metadata'];
  };
  params: Record<string, unknown>;
}

export interface CapabilityRun {
  entry: string;
  dir: string;
  /** The params the entry is called with. */
  params: Record<string, unknown>;
  meta: Record<string, unknown>;
}

/**
 * How a capability runs on its executor. A built-in executor runs a
 * capability's own entry like an action block, `(params, ctx)`, so that its
 * load errors fail the start and ctx.params are its params. Otherwise (a
 * custom executor, or a skill that is only a SKILL.md) the executor's entry
 * runs with `({capability, params}, ctx)`. Either way the working directory
 * is the capability's.
 */
export function capabilityRun(capability: Capability, executor: CapabilityExecutor, params: Record<string, unknown>): CapabilityRun {
  const meta = { capabilityName: capability.name, capabilityType: capability.type, executorName: executor.name, capabilityPath: capability.path };
  const ownEntry = capability.entryPoint ? path.join(capability.path, capability.entryPoint) : undefined;
  if (executor.source === 'builtin' && ownEntry) return { entry: ownEntry, dir: capability.path, params, meta };
  const input: ExecutorInput = {
    capability: {
      name: capability.name,
      type: capability.type,
      version: capability.version,
      path: capability.path,
      ...(ownEntry ? { entry: ownEntry } : {}),
      ...(capability.skillFile ? { skillFile: capability.skillFile } : {}),
      metadata: capability.metadata,
    },
    params,
  };
  return { entry: path.join(executor.path, executor.entryPoint), dir: capability.path, params: { ...input }, meta };
}
