import path from 'node:path';
import { SidexError } from '../../errors.js';
import { chooseExecutor } from '../executors/choose-executor.js';
import { readExecutor } from '../executors/read-executor.js';
import { discover, type Layer } from '../layered.js';
import { childDirs } from '../manifest.js';
import type { CatalogWarning } from '../warning.js';
import { WatchedListing } from '../watch/watched-listing.js';
import { CAPABILITY_TYPES, type Capability, type CapabilityExecutor, type CapabilityType, type CatalogSource } from './capability.js';
import { readCapability } from './read-capability.js';

export interface CapabilityRoots {
  /** `<projectDir>/.codebolt/capabilities` is searched first. */
  projectDir: string;
  /** `<globalDir>/capabilities` (Codebolt: ~/.codebolt). */
  globalDir: string;
  /** Built-in capabilities and executors shipped with sidex (same layout). */
  builtinDir?: string;
}

export interface CapabilityListing {
  capabilities: Capability[];
  executors: CapabilityExecutor[];
  warnings: CatalogWarning[];
}

const EXECUTORS_DIR = 'executors';

/**
 * Capabilities and executors on disk, `<base>/<type>/<name>/` and
 * `<base>/executors/<name>/` for base = project, global, built-in (first
 * wins), refreshed when those directories change.
 */
export class CapabilityCatalog {
  private readonly listing: WatchedListing<CapabilityListing>;

  constructor(readonly roots: CapabilityRoots) {
    const bases = this.bases();
    this.listing = new WatchedListing(
      bases.map((b) => b.root),
      () => scan(bases),
    );
  }

  /** Directories capability and executor code lives in (what the permission model must let it read). */
  allowedRoots(): string[] {
    return this.bases().map((b) => b.root);
  }

  /** With `fresh`, rescans even before the watchers report a change. */
  list(options: { fresh?: boolean } = {}): CapabilityListing {
    const { capabilities, executors, warnings } = this.listing.get(options);
    return { capabilities: [...capabilities], executors: [...executors], warnings: [...warnings] };
  }

  /**
   * A capability by name, of `type` when given (else the first of skill,
   * power, talent); a miss rescans once (it may have just been written).
   */
  find(name: string, type?: CapabilityType): Capability {
    const named = (listing: CapabilityListing) =>
      listing.capabilities
        .filter((c) => c.name === name && (type === undefined || c.type === type))
        .sort((a, b) => CAPABILITY_TYPES.indexOf(a.type) - CAPABILITY_TYPES.indexOf(b.type))[0];
    const capability = named(this.list()) ?? named(this.list({ fresh: true }));
    if (!capability) {
      throw new SidexError('CAPABILITY_NOT_FOUND', `no ${type ?? 'capability'} named "${name}"`, { name, ...(type ? { type } : {}) });
    }
    return capability;
  }

  /** The executor that runs `capability`; when none is found, a rescan first (one may have just been written). */
  executorFor(capability: Capability): CapabilityExecutor {
    try {
      return chooseExecutor(capability, this.list().executors);
    } catch {
      return chooseExecutor(capability, this.list({ fresh: true }).executors);
    }
  }

  close(): void {
    this.listing.close();
  }

  private bases(): Layer<CatalogSource>[] {
    const { projectDir, globalDir, builtinDir } = this.roots;
    return [
      { root: path.join(projectDir, '.codebolt', 'capabilities'), source: 'project' },
      { root: path.join(globalDir, 'capabilities'), source: 'global' },
      ...(builtinDir ? [{ root: builtinDir, source: 'builtin' as const }] : []),
    ];
  }
}

function scan(bases: readonly Layer<CatalogSource>[]): CapabilityListing {
  const typeLayers = bases.flatMap((base) => CAPABILITY_TYPES.map((type) => ({ root: path.join(base.root, type), source: base.source })));
  const capabilities = discover(typeLayers, (dir, layer, found) => readCapability(dir, path.basename(layer.root) as CapabilityType, layer.source, found), {
    what: (c) => c.type,
    keyOf: (c) => `${c.type}/${c.name}`,
  });
  const executorLayers = bases.map((base) => ({ root: path.join(base.root, EXECUTORS_DIR), source: base.source }));
  const executors = discover(executorLayers, (dir, layer, found) => readExecutor(dir, layer.source, found), { what: () => 'executor' });
  return {
    capabilities: capabilities.items,
    executors: executors.items,
    warnings: [...strayDirectories(bases), ...capabilities.warnings, ...executors.warnings],
  };
}

/** A directory beside the type directories is most likely a misplaced capability: say so. */
function strayDirectories(bases: readonly Layer[]): CatalogWarning[] {
  const known = new Set<string>([...CAPABILITY_TYPES, EXECUTORS_DIR]);
  return bases.flatMap((base) =>
    childDirs(base.root)
      .filter((dir) => !known.has(path.basename(dir)))
      .map((dir) => ({
        file: dir,
        message: `${dir}: not a capability type directory (expected ${[...known].join(', ')}); not searched`,
      })),
  );
}
