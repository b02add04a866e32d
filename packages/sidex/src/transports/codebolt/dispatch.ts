import { SidexError } from '../../errors.js';
import { fail, ok } from '../replies/envelope.js';
import type { CodeboltApi } from './api/index.js';
import type { Frame } from './frames.js';

/** What a handler may use of the connection it serves: the dialect's API, bound to its caller, and its subscriptions. */
export interface ConnectionControl {
  readonly api: CodeboltApi;
  subscribe(sideExecutionId: string | undefined): { all: boolean; sideExecutionIds: string[] };
  unsubscribe(sideExecutionId: string | undefined): { all: boolean; sideExecutionIds: string[] };
}

export type Handler = (frame: Frame, connection: ConnectionControl) => Promise<object>;

/**
 * The Codebolt dialect (docs/codebolt.md): one handler per type and
 * action, each a call of the connection's API with the frame's flat fields.
 */
export function codeboltHandlers(): Record<string, Record<string, Handler>> {
  return {
    sideExecution: {
      startSideExecution: (f, { api }) => api.sideExecution.start(f as Record<string, unknown>),
      stopSideExecution: (f, { api }) => api.sideExecution.stop(f.sideExecutionId, present(f, 'graceMs', 'force')),
      getSideExecutionStatus: (f, { api }) => api.sideExecution.getStatus(f.sideExecutionId),
      listActionBlocks: (f, { api }) => api.sideExecution.listActionBlocks(f.projectPath),
      // sidex extensions of the dialect:
      listSideExecutions: (f, { api }) => api.sideExecution.list(f.filter),
      countSideExecutions: (_f, { api }) => api.sideExecution.counts(),
      getSideExecutionEvents: (f, { api }) => api.sideExecution.events(f.sideExecutionId, present(f, 'after', 'limit')),
      resumeSideExecution: (f, { api }) => api.sideExecution.resume(f.sideExecutionId),
      writeSideExecutionStdin: (f, { api }) => api.sideExecution.writeStdin(f.sideExecutionId, f.data, present(f, 'encoding', 'close')),
      subscribe: (f, c) => subscription('subscribeResponse', f, c, (id) => c.subscribe(id)),
      unsubscribe: (f, c) => subscription('unsubscribeResponse', f, c, (id) => c.unsubscribe(id), false),
    },
    actionBlock: {
      listActionBlocks: (f, { api }) => api.actionBlock.list(f.filterType),
      getActionBlockDetail: (f, { api }) => api.actionBlock.getDetail(f.actionBlockName),
      startActionBlock: (f, { api }) => api.actionBlock.start(f.actionBlockName, f.params),
    },
    capability: {
      listCapabilities: (f, { api }) => api.capability.listCapabilities(f.filter),
      getCapabilityDetail: (f, { api }) => api.capability.getCapabilityDetail(f.capabilityName, f.capabilityType),
      listExecutors: (_f, { api }) => api.capability.listExecutors(),
      startCapability: (f, { api }) => api.capability.startCapability(f.capabilityName, f.capabilityType, f.params, f.timeout, f.options),
      stopCapability: (f, { api }) => api.capability.stopCapability(f.executionId, present(f, 'graceMs', 'force')),
      getExecutionStatus: (f, { api }) => api.capability.getExecutionStatus(f.executionId),
      getActiveExecutions: (_f, { api }) => api.capability.getActiveExecutions(),
      // a sidex extension of the dialect:
      resumeCapability: (f, { api }) => api.capability.resume(f.executionId),
    },
  };
}

/** Those of `keys` the frame carries: options the SDK spreads flat on its frame (a stop's graceMs and force, an events query's after and limit, a stdin write's encoding and close). */
function present(f: Frame, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => f[key] !== undefined).map((key) => [key, f[key]]));
}

async function subscription(
  type: string,
  f: Frame,
  { api }: ConnectionControl,
  change: (id: string | undefined) => { all: boolean; sideExecutionIds: string[] },
  mustExist = true,
) {
  let id: string | undefined;
  try {
    id = api.sideExecution.subscriptionId(f.sideExecutionId);
  } catch (err) {
    return fail(type, err);
  }
  if (id !== undefined && mustExist) {
    const status = await api.sideExecution.getStatus(id);
    if (!status.success) return fail(type, new SidexError(status.code, status.error), { sideExecutionId: id });
  }
  return ok(type, { ...(id !== undefined ? { sideExecutionId: id } : {}), subscriptions: change(id) });
}
