import type { StartOptionsInput } from './schemas.js';

/** Who asked for an execution (Codebolt thread and agent), kept in its record's meta. */
export function callerMeta(options: StartOptionsInput | undefined): Record<string, unknown> {
  const { threadId, parentAgentId, parentAgentInstanceId, threadContext } = options ?? {};
  return {
    ...(threadId ? { threadId } : {}),
    ...(parentAgentId ? { parentAgentId } : {}),
    ...(parentAgentInstanceId ? { parentAgentInstanceId } : {}),
    ...(threadContext ? { threadContext } : {}),
  };
}

/** A string fact of an execution's meta (thread id, parent agent...), '' when absent. */
export function metaString(meta: Record<string, unknown>, key: string): string {
  const value = meta[key];
  return typeof value === 'string' ? value : '';
}
