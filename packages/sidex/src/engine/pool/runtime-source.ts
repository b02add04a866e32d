import type { ExecutionRecord } from '../../model/record.js';
import type { StartSpec } from '../execution.js';
import type { SandboxNetwork } from '../sandbox/launch.js';
import { blockDir } from '../start-spec.js';
import { fileSizeLimitFor, type RuntimeFactory, type RuntimeProfile } from './runtime-factory.js';
import type { RuntimeProcess } from './runtime-process.js';
import type { WarmPool } from './warm-pool.js';

interface Wanted {
  readonly spec: StartSpec;
  readonly record: ExecutionRecord;
}

/** A booted runtime with an execution's own limits set, before its code runs: from the warm pool when it fits, else booted for it. */
export class RuntimeSource {
  constructor(
    private readonly factory: RuntimeFactory,
    private readonly pool: WarmPool,
    private readonly pooledProfile: RuntimeProfile,
    /** Whether the output limit is RLIMIT_FSIZE (else it is checked by reading). */
    private readonly outputRlimit: boolean,
    private readonly defaultNetwork: SandboxNetwork | undefined,
  ) {}

  async take(wanted: Wanted): Promise<RuntimeProcess> {
    return (await this.warm(wanted)) ?? this.boot(wanted);
  }

  /** Whether warm() would find a runtime booted already: taking one spawns nothing. */
  get hasIdle(): boolean {
    return this.pool.available > 0;
  }

  /** From the pool; undefined when the execution's profile does not fit it, or its runtime refused the output limit. */
  async warm(wanted: Wanted): Promise<RuntimeProcess | undefined> {
    const profile = this.profileOf(wanted);
    if (!this.factory.fitsPool(profile, this.pooledProfile)) return undefined;
    const runtime = await this.pool.acquire();
    try {
      // Cheap file writes.
      runtime.limits?.apply(this.limitsOf(wanted.record));
    } catch (err) {
      void runtime.discard();
      throw err;
    }
    try {
      // ~4 ms of prlimit a process, for an output limit other than the pool's.
      await runtime.setFileSizeLimit(this.outputRlimit ? fileSizeLimitFor(wanted.record.outputLimitBytes) : undefined);
      return runtime;
    } catch {
      // Refused after all (a capability fitsPool could not foresee): a runtime booted with the limit.
      void runtime.discard();
      return undefined;
    }
  }

  async boot(wanted: Wanted): Promise<RuntimeProcess> {
    const runtime = this.factory.spawn(this.profileOf(wanted));
    try {
      await runtime.ready;
      runtime.limits?.apply(this.limitsOf(wanted.record));
    } catch (err) {
      void runtime.discard();
      throw err;
    }
    return runtime;
  }

  private profileOf({ spec, record }: Wanted): RuntimeProfile {
    const network = spec.network ?? this.defaultNetwork;
    return {
      ...(record.memoryLimitBytes ? { memoryLimitBytes: record.memoryLimitBytes } : {}),
      ...(record.outputLimitBytes ? { outputLimitBytes: record.outputLimitBytes } : {}),
      ...(record.pidsLimit ? { pidsLimit: record.pidsLimit } : {}),
      ...(network ? { network } : {}),
      ...(spec.kind === 'block' && !spec.inScratch ? { cwd: blockDir(spec) } : {}),
    };
  }

  private limitsOf(record: ExecutionRecord) {
    return { memoryLimitBytes: record.memoryLimitBytes, pidsLimit: record.pidsLimit, cpuLimit: record.cpuLimit };
  }
}
