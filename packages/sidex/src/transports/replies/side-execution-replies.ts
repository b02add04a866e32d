import type { StatusFields, StopCapabilityFields, StopFields } from '@sidex/protocol';
import type { StopOutcome } from '../../engine/engine.js';
import { SidexError } from '../../errors.js';
import { isTerminal, type ExecutionRecord } from '../../model/record.js';
import type { EventsQueryType, ListInputType, StopOptionsInput } from '../../services/schemas.js';
import type { SideExecutionService, StartInput } from '../../services/side-execution-service.js';
import { statusFields } from '../../services/status-fields.js';
import { fail, ok, replying, type Reply } from './envelope.js';

/** The capability dialect adds its name for the id. */
export type StopReplyFields = StopFields & Partial<Pick<StopCapabilityFields, 'executionId'>>;

/**
 * The Codebolt-shaped replies of side executions, from typed inputs: what
 * the Codebolt dialect (WebSocket and in process) and REST answer. Never
 * throws: an error is a `success: false` reply echoing the id asked about.
 */
export class SideExecutionReplies {
  constructor(readonly service: SideExecutionService) {}

  start(input: StartInput): Promise<Reply<{ sideExecutionId: string; status: string }>> {
    const type = 'startSideExecutionResponse';
    return replying(type, async () => startedReply(type, await this.service.start(input), 'sideExecutionId'));
  }

  resume(id: string) {
    const type = 'resumeSideExecutionResponse';
    return replying(type, async () => {
      const record = await this.service.resume(id);
      return startedReply(type, record, 'sideExecutionId', { resumedFrom: id });
    }, { sideExecutionId: id });
  }

  getStatus(id: string) {
    const type = 'getSideExecutionStatusResponse';
    return replying(type, async () => ok<StatusFields>(type, statusFields(await this.service.getStatus(id))), { sideExecutionId: id });
  }

  /**
   * The stop protocol; answers when no process of the tree remains. Stopping a
   * stopped execution answers `already_stopped`; one that finished otherwise
   * answers `success: false` with its status.
   */
  stop(id: string, options?: StopOptionsInput): Promise<Reply<StopReplyFields>> {
    const type = 'stopSideExecutionResponse';
    return replying(type, async () => stopReply(type, await this.service.stop(id, options)), { sideExecutionId: id });
  }

  listActionBlocks(projectPath?: string) {
    const type = 'listActionBlocksResponse';
    return replying(type, async () => {
      const { blocks, warnings } = this.service.listActionBlocks(projectPath);
      return ok(type, { actionBlocks: blocks, warnings });
    });
  }

  list(filter: ListInputType) {
    const type = 'listSideExecutionsResponse';
    return replying(type, async () => {
      const page = await this.service.list(filter);
      return ok(type, { executions: page.items.map(statusFields), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
    });
  }

  counts() {
    const type = 'countSideExecutionsResponse';
    return replying(type, async () => ok(type, { counts: await this.service.counts() }));
  }

  processes(id: string) {
    const type = 'getSideExecutionProcessesResponse';
    return replying(type, async () => {
      const { record, processes } = await this.service.processes(id);
      return ok(type, { sideExecutionId: record.id, status: record.status, processes });
    }, { sideExecutionId: id });
  }

  events(id: string, query?: EventsQueryType) {
    const type = 'getSideExecutionEventsResponse';
    return replying(type, async () => {
      const { record, events } = await this.service.events(id, query);
      return ok(type, { sideExecutionId: record.id, events });
    }, { sideExecutionId: id });
  }

  /** The status reply once the execution is terminal. */
  wait(id: string) {
    const type = 'getSideExecutionStatusResponse';
    return replying(type, async () => ok<StatusFields>(type, statusFields(await this.service.wait(id))), { sideExecutionId: id });
  }
}

/** A start answers once running (or queued); a start that failed answers `success: false` with the cause. */
export function startedReply<K extends string, X extends object = object>(type: string, record: ExecutionRecord, idField: K, extra?: X) {
  const place = record.queuePosition !== undefined ? { queuePosition: record.queuePosition } : {};
  const fields = { [idField]: record.id, status: record.status, ...place, ...extra } as Record<K, string> & { status: string } & X;
  if (record.status !== 'failed') return ok(type, fields, `execution ${record.status}`);
  const error = record.error ?? { code: 'START_FAILED', message: 'the execution failed to start' };
  // A command that could not be run names the file it tried.
  const details = { ...(error.stack ? { stack: error.stack } : {}), ...(error.path ? { path: error.path } : {}) };
  return fail(type, new SidexError(error.code, error.message, Object.keys(details).length ? details : undefined), fields);
}

/**
 * The reply to a stop, from the engine's outcome (shared by every dialect's
 * stop); the capability dialect names the id `executionId`.
 */
export function stopReply(type: string, { record, alreadyEnded }: StopOutcome, idField: 'sideExecutionId' | 'executionId' = 'sideExecutionId') {
  const fields: StopReplyFields = {
    ...(idField === 'executionId' ? { executionId: record.id } : {}),
    sideExecutionId: record.id,
    status: record.status,
    ...(record.stoppedAt !== undefined ? { stoppedAt: record.stoppedAt } : record.endedAt !== undefined ? { stoppedAt: record.endedAt } : {}),
    ...(record.result !== undefined ? { result: record.result } : {}),
    output: record.stdout.text,
    ...(record.forced !== undefined ? { forced: record.forced } : {}),
  };
  if (alreadyEnded && record.status === 'stopped') {
    return ok(type, { ...fields, status: 'already_stopped' as const }, 'execution was already stopped');
  }
  // A stop under way answers the end that overtook it, which has a stop reason of its own: a timeout,
  // a limit, a lost worker. The execution had not finished when the stop came, so ALREADY_FINISHED
  // would say what is not so. An end the code reported itself (its report may come just before its
  // tree ends) was not the stop's doing: that execution had finished.
  if (!isTerminal(record.status) || record.status === 'stopped' || (!alreadyEnded && record.stopReason !== undefined)) {
    return ok(type, fields, `execution ${record.status}`);
  }
  return fail(
    type,
    new SidexError('ALREADY_FINISHED', `execution had already finished with status "${record.status}"`, { status: record.status }),
    fields as unknown as Record<string, unknown>,
  );
}
