import type { StartOptionsInput } from '../../services/schemas.js';

/** What a connection says of who is calling: the defaults of its starts' thread and agent options. */
export type Caller = Pick<StartOptionsInput, 'threadId' | 'parentAgentId' | 'parentAgentInstanceId'>;

/** The longest id kept, as StartOptions allows. */
const MAX_ID = 200;

/**
 * The caller as Codebolt's SDK names it in its WebSocket URL: the agent that
 * calls (`agentId`) is the parent agent of what it starts; its
 * `parentAgentInstanceId` and `threadId` are passed on as they are.
 * `parentId` (the caller's own parent) is not the started code's parent and
 * is not used. A value that is empty or too long is left out.
 */
export function callerOf(query: URLSearchParams): Caller {
  const value = (name: string) => {
    const v = query.get(name);
    return v && v.length <= MAX_ID ? v : undefined;
  };
  const [threadId, parentAgentId, parentAgentInstanceId] = [value('threadId'), value('agentId'), value('parentAgentInstanceId')];
  return { ...(threadId ? { threadId } : {}), ...(parentAgentId ? { parentAgentId } : {}), ...(parentAgentInstanceId ? { parentAgentInstanceId } : {}) };
}

/** A start's options with the caller's facts where the request gives none: the request wins, field by field. */
export function withCaller(options: StartOptionsInput | undefined, caller: Caller): StartOptionsInput | undefined {
  if (Object.keys(caller).length === 0) return options;
  return { ...caller, ...options };
}
