import { SidexError } from '../../errors.js';
import { metaString } from '../caller-meta.js';

/** Where Codebolt-built blocks find the server's `/codebolt` WebSocket; the server sets it once it listens. */
export interface CodeboltSocket {
  /** The port, or a function asked at each start (the server knows its port only after listening). */
  port?: number | (() => number | undefined);
  /** Host the block connects to (`CODEBOLT_SERVER_URL`); default 127.0.0.1, as sidex binds loopback. */
  host?: string;
}

/**
 * The environment Codebolt gives a side execution (docs/codebolt.md).
 * The token goes in `SIDEX_TOKEN` and in `threadToken`: the Codebolt SDK
 * puts both in the query of its WebSocket URL (recent SDKs forward every
 * variable, `threadToken` by name), where the transport reads it.
 */
export function codeboltEnv(
  socket: CodeboltSocket,
  { token, actionBlockPath, meta }: { token: string; actionBlockPath: string; meta: Record<string, unknown> },
): Record<string, string> {
  const port = typeof socket.port === 'function' ? socket.port() : socket.port;
  if (port === undefined || !Number.isInteger(port) || port <= 0) {
    throw new SidexError(
      'CODEBOLT_HOST_UNAVAILABLE',
      'this action block is a Codebolt SDK program: it needs the /codebolt WebSocket of a running sidex server (sidex serve), and none is configured',
      { field: 'actionBlockPath' },
    );
  }
  const str = (key: string) => metaString(meta, key);
  return {
    SOCKET_PORT: String(port),
    CODEBOLT_SERVER_URL: socket.host ?? '127.0.0.1',
    IS_SIDE_EXECUTION: 'true',
    THREAD_ID: str('threadId'),
    PARENT_AGENT_ID: str('parentAgentId'),
    ...(str('parentAgentInstanceId') ? { PARENT_AGENT_INSTANCE_ID: str('parentAgentInstanceId') } : {}),
    ACTION_BLOCK_PATH: actionBlockPath,
    SIDEX_TOKEN: token,
    threadToken: token,
  };
}
