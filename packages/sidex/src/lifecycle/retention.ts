import fs from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { SidexError } from '../errors.js';
import type { ExecutionStore, PruneCandidate } from '../store/execution-store.js';

/** How much history to keep. Any limit reached prunes the oldest ended executions first. */
export interface RetentionPolicy {
  /** Keep executions created within the last N days. */
  maxAgeDays?: number;
  /** Keep at most N executions (live ones count, but are never pruned). */
  maxExecutions?: number;
  /** Keep at most N MB (2^20 bytes) of captured output. */
  maxLogMb?: number;
  /** Time between passes, ms (default one minute). */
  intervalMs?: number;
  /** Records pruned per batch (default 200); the event loop runs between batches. */
  batchSize?: number;
}

interface Limits {
  maxAgeMs?: number;
  maxExecutions?: number;
  maxLogBytes?: number;
  intervalMs: number;
  batchSize: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MB = 1024 * 1024;

/** Reads a policy, refusing values that would prune by accident (negative, NaN, not numbers). */
export function checkRetention(policy: RetentionPolicy): Limits {
  if (policy === null || typeof policy !== 'object') throw invalid('(retention)', 'must be an object');
  const amount = (field: keyof RetentionPolicy, whole: boolean, min: number): number | undefined => {
    const value = policy[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (whole && !Number.isInteger(value))) {
      throw invalid(field, `must be a ${whole ? 'whole ' : ''}number of at least ${min} (got ${String(value)})`);
    }
    return value;
  };
  const days = amount('maxAgeDays', false, 0);
  const count = amount('maxExecutions', true, 0);
  const mb = amount('maxLogMb', false, 0);
  return {
    ...(days !== undefined ? { maxAgeMs: days * DAY_MS } : {}),
    ...(count !== undefined ? { maxExecutions: count } : {}),
    ...(mb !== undefined ? { maxLogBytes: mb * MB } : {}),
    intervalMs: amount('intervalMs', true, 10) ?? 60_000,
    batchSize: Math.min(amount('batchSize', true, 1) ?? 200, 10_000),
  };
}

function invalid(field: string, message: string): SidexError {
  return new SidexError('INVALID_CONFIG', `retention.${field}: ${message}`, { field: `retention.${field}` });
}

export interface RetentionHooks {
  /** The log files of an execution, deleted with its record. */
  logFiles(id: string): string[];
  /** A pass failed (store unreachable...); the next pass tries again. */
  onError?(err: unknown): void;
  now?(): number;
}

/**
 * Prunes history in the background: an unref'd timer (it never keeps the
 * process alive), small batches with the event loop running between them, and
 * only terminal records, each with its log file.
 */
export class Retention {
  private readonly limits: Limits;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<string[]> | undefined;
  private stopped = false;

  constructor(
    private readonly store: ExecutionStore,
    policy: RetentionPolicy,
    private readonly hooks: RetentionHooks,
  ) {
    this.limits = checkRetention(policy);
  }

  /** The first pass runs at once (in the background), then one every interval. */
  start(): void {
    this.schedule(0);
  }

  /** One pass: prunes until every limit holds. Resolves with the ids pruned. */
  runOnce(): Promise<string[]> {
    this.running ??= this.prune().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * A pass that begins now: after the one under way, if any, which began
   * earlier and may have missed what changed since (joined, it answered the
   * ids it had pruned, not that nothing is left).
   */
  async runNow(): Promise<string[]> {
    await this.running?.catch(() => {});
    return this.runOnce();
  }

  /** Stops the timer and waits for a pass under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => {});
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.runOnce()
        .catch((err: unknown) => this.hooks.onError?.(err))
        .finally(() => this.schedule(this.limits.intervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async prune(): Promise<string[]> {
    const pruned: string[] = [];
    const { batchSize } = this.limits;
    while (!this.stopped) {
      const usage = await this.store.usage();
      const batch = await this.store.oldestEnded(batchSize);
      const doomed = this.overLimits(batch, usage.records, usage.logBytes);
      if (doomed.length === 0) break;
      const gone = await this.store.deleteEnded(doomed.map((c) => c.id));
      // Record first, then its log: a crash between leaves an orphan file, never a record without its output.
      const files = gone.flatMap((id) => this.hooks.logFiles(id));
      await Promise.all(files.map((file) => fs.rm(file, { force: true }).catch(() => {})));
      pruned.push(...gone);
      if (gone.length === 0 || doomed.length < batch.length || batch.length < batchSize) break;
      await yieldToEventLoop();
    }
    return pruned;
  }

  /** The oldest candidates that some limit says must go, in order; stops at the first that may stay. */
  private overLimits(batch: PruneCandidate[], records: number, logBytes: number): PruneCandidate[] {
    const { maxAgeMs, maxExecutions, maxLogBytes } = this.limits;
    const cutoff = maxAgeMs === undefined ? -Infinity : (this.hooks.now?.() ?? Date.now()) - maxAgeMs;
    const doomed: PruneCandidate[] = [];
    for (const candidate of batch) {
      const tooOld = candidate.createdAt < cutoff;
      const tooMany = maxExecutions !== undefined && records > maxExecutions;
      const tooBig = maxLogBytes !== undefined && logBytes > maxLogBytes;
      if (!tooOld && !tooMany && !tooBig) break;
      doomed.push(candidate);
      records--;
      logBytes -= candidate.logBytes;
    }
    return doomed;
  }
}
