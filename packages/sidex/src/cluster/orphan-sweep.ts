// A record a server wrote `queued` whose job is not in the queue: the server
// died between the record and the job, or Redis lost the job (its append-only
// file keeps all but the last second). No worker would ever run it, and
// nothing would end it. Every server looks for such records and records them
// lost, as it does a dead worker's executions (one claim in Redis lets only
// the first write), once a tombstone holds the job's id (job-tombstone.ts).
import type { ExecutionRecord } from '../model/record.js';
import { recordLost, type LostContext } from './lost-executions.js';

export interface OrphanSweepOptions {
  lost: LostContext;
  /** Whether the execution's job is in its queue (waiting, delayed, or taken). */
  hasJob(record: ExecutionRecord): Promise<boolean>;
  /** Takes the job's id with a tombstone, so that a job its start adds later never runs; false if the job came meanwhile. */
  bury(record: ExecutionRecord): Promise<boolean>;
  /** Only records queued this long ago: a start adds its job a moment after its record. */
  minAgeMs: number;
  /** Seen without a job this long apart, twice, before it is taken for lost: Redis was reachable for both looks. */
  confirmMs: number;
}

/** Records examined per pass: a pass is cheap, and the next one takes the rest. */
const PASS_LIMIT = 100;

export class OrphanSweep {
  /** Records seen queued without a job: when first seen so. */
  private readonly suspects = new Map<string, number>();

  constructor(private readonly options: OrphanSweepOptions) {}

  /** One look; resolves with the ids recorded lost. A Redis or store failure ends the pass (the next one tries again). */
  async pass(now = Date.now()): Promise<string[]> {
    const { lost, hasJob, bury, minAgeMs, confirmMs } = this.options;
    const page = await lost.store.list({ status: ['queued'], until: now - minAgeMs, limit: PASS_LIMIT });
    const seen = new Set<string>();
    const recorded: string[] = [];
    for (const record of page.items) {
      seen.add(record.id);
      if (await hasJob(record)) {
        this.suspects.delete(record.id);
        continue;
      }
      const first = this.suspects.get(record.id);
      if (first === undefined) this.suspects.set(record.id, now);
      else if (now - first >= confirmMs && (await bury(record)) && (await recordLost(lost, record.id))) recorded.push(record.id);
    }
    for (const id of this.suspects.keys()) if (!seen.has(id)) this.suspects.delete(id);
    return recorded;
  }
}
