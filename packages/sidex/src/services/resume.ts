import type { StartSpec } from '../engine/execution.js';
import type { IdPrefix } from '../model/ids.js';
import { isTerminal, type ExecutionRecord } from '../model/record.js';
import { SidexError } from '../errors.js';

/**
 * The spec of a new execution of the same code as `record`, with the same
 * params, limits and meta, whose ctx.resumeFrom is the old one's last
 * checkpoint (undefined if it never checkpointed: then it starts over) and
 * whose record links back to it. Only an execution that has ended can be
 * resumed: one that still runs would run twice. Per-start environment
 * variables are not recorded (they may hold secrets) and do not carry over.
 */
export function resumeSpec(record: ExecutionRecord): StartSpec {
  if (!isTerminal(record.status)) {
    throw new SidexError('EXECUTION_STILL_RUNNING', `execution "${record.id}" is ${record.status}: stop it or let it end before resuming it`, {
      id: record.id,
      status: record.status,
    });
  }
  const source = record.source;
  if (!source) {
    throw new SidexError('NOT_RESUMABLE', `execution "${record.id}" has no recorded code to run again (it predates resume support)`, { id: record.id });
  }
  if (source.type === 'command') {
    throw new SidexError('NOT_RESUMABLE', `execution "${record.id}" ran a command: a program has no checkpoints to resume from; start the command again instead`, {
      id: record.id,
    });
  }
  return {
    prefix: record.id.slice(0, record.id.indexOf('_')) as IdPrefix,
    kind: record.kind,
    name: record.name,
    ...(source.type === 'inline' ? { code: source.code, ...(source.filename !== undefined ? { filename: source.filename } : {}) } : { entry: source.entry, ...(source.dir ? { dir: source.dir } : {}) }),
    params: record.params,
    ...(record.timeoutMs !== undefined ? { timeoutMs: record.timeoutMs } : {}),
    ...(record.memoryLimitBytes !== undefined ? { memoryLimitBytes: record.memoryLimitBytes } : {}),
    ...(record.outputLimitBytes !== undefined ? { outputLimitBytes: record.outputLimitBytes } : {}),
    ...(record.pidsLimit !== undefined ? { pidsLimit: record.pidsLimit } : {}),
    ...(record.cpuLimit !== undefined ? { cpuLimit: record.cpuLimit } : {}),
    meta: { ...record.meta },
    ...(record.checkpoint !== undefined ? { resumeFrom: record.checkpoint } : {}),
    resumedFrom: record.id,
  };
}
