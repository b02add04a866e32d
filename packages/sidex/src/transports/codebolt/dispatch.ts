import { SidexError } from '../../errors.js';
import type { ActionBlockService } from '../../services/action-block-service.js';
import type { CapabilityService } from '../../services/capability-service.js';
import type { CommandService } from '../../services/command-service.js';
import { startSideExecutionReply, writeStdinReply } from '../../services/command-replies.js';
import { fail, ok, replying } from '../../services/replies.js';
import { ExecutionIdInput } from '../../services/schemas.js';
import type { SideExecutionService } from '../../services/side-execution-service.js';
import { parseInput } from '../../model/validation.js';
import type { Frame } from './frames.js';

/** What a handler may do to the connection it serves. */
export interface ConnectionControl {
  subscribe(sideExecutionId: string | undefined): { all: boolean; sideExecutionIds: string[] };
  unsubscribe(sideExecutionId: string | undefined): { all: boolean; sideExecutionIds: string[] };
}

export interface DialectServices {
  sideExecution: SideExecutionService;
  actionBlock: ActionBlockService;
  capability: CapabilityService;
  commands: CommandService;
}

export type Handler = (frame: Frame, connection: ConnectionControl) => Promise<object>;

/** The Codebolt dialect (shared/PROTOCOLS.md §1): one handler per type and action, each a call of a service. */
export function codeboltHandlers({ sideExecution, actionBlock, capability, commands }: DialectServices): Record<string, Record<string, Handler>> {
  return {
    sideExecution: {
      startSideExecution: (f) => startSideExecutionReply(sideExecution, commands, f as Record<string, unknown>),
      stopSideExecution: (f) => sideExecution.stop(f.sideExecutionId, stopOptions(f)),
      getSideExecutionStatus: (f) => sideExecution.getStatus(f.sideExecutionId),
      listActionBlocks: (f) => sideExecution.listActionBlocks(f.projectPath),
      // sidex extensions of the dialect:
      listSideExecutions: (f) => sideExecution.list(f.filter ?? {}),
      countSideExecutions: () => sideExecution.counts(),
      getSideExecutionEvents: (f) => sideExecution.events(f.sideExecutionId, eventsQuery(f)),
      resumeSideExecution: (f) => sideExecution.resume(f.sideExecutionId),
      writeSideExecutionStdin: (f) => writeStdinReply(commands, f as Record<string, unknown>),
      subscribe: (f, c) => subscription('subscribeResponse', f, sideExecution, (id) => c.subscribe(id)),
      unsubscribe: (f, c) => subscription('unsubscribeResponse', f, sideExecution, (id) => c.unsubscribe(id), false),
    },
    actionBlock: {
      listActionBlocks: (f) => actionBlock.list(f.filterType),
      getActionBlockDetail: (f) => actionBlock.getDetail(f.actionBlockName),
      startActionBlock: (f) => actionBlock.start(f.actionBlockName, f.params),
    },
    capability: {
      listCapabilities: (f) => capability.listCapabilities(f.filter),
      getCapabilityDetail: (f) => capability.getCapabilityDetail(f.capabilityName, f.capabilityType),
      listExecutors: () => capability.listExecutors(),
      startCapability: (f) => capability.startCapability(f.capabilityName, f.capabilityType, f.params, f.timeout, f.options),
      stopCapability: (f) => capability.stopCapability(f.executionId, stopOptions(f)),
      getExecutionStatus: (f) => capability.getExecutionStatus(f.executionId),
      getActiveExecutions: () => capability.getActiveExecutions(),
      // a sidex extension of the dialect:
      resumeCapability: (f) => capability.resume(f.executionId),
    },
  };
}

function eventsQuery(f: Frame): Record<string, unknown> {
  return { ...(f.after !== undefined ? { after: f.after } : {}), ...(f.limit !== undefined ? { limit: f.limit } : {}) };
}

/** graceMs / force ride along on the stop frame (a sidex extension); absent, the defaults apply. */
function stopOptions(f: Frame): Record<string, unknown> | undefined {
  if (f.graceMs === undefined && f.force === undefined) return undefined;
  return { ...(f.graceMs !== undefined ? { graceMs: f.graceMs } : {}), ...(f.force !== undefined ? { force: f.force } : {}) };
}

function subscription(
  type: string,
  f: Frame,
  service: SideExecutionService,
  change: (id: string | undefined) => { all: boolean; sideExecutionIds: string[] },
  mustExist = true,
) {
  return replying(type, async () => {
    const raw = f.sideExecutionId;
    const id = raw === undefined || raw === null ? undefined : parseInput(ExecutionIdInput, { sideExecutionId: raw }).sideExecutionId;
    if (id !== undefined && mustExist) {
      const status = await service.getStatus(id);
      if (!status.success) return fail(type, new SidexError(status.code, status.error), { sideExecutionId: id });
    }
    return ok(type, { ...(id !== undefined ? { sideExecutionId: id } : {}), subscriptions: change(id) });
  });
}
