// The upgrade of a Codebolt-built block's WebSocket. Its SDK connects to
// `ws://<CODEBOLT_SERVER_URL>:<SOCKET_PORT>/codebolt?id=...&threadToken=...`
// and forwards the rest of its environment as query parameters (SIDEX_TOKEN,
// SIDE_EXECUTION_ID, ...): the execution token, by either name, is its only
// credential. It opens one connection, to its own execution, while that runs.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { isSidexError, SidexError } from '../../errors.js';
import type { CodeboltBlocks } from '../../services/codebolt/codebolt-blocks.js';
import { refuse } from '../ws/refuse-upgrade.js';

/** The query parameters a Codebolt SDK program presents its token in (`threadToken` by name; SIDEX_TOKEN with its environment). */
export const TOKEN_PARAMS = ['threadToken', 'SIDEX_TOKEN'] as const;

/** The execution token an upgrade presents, if any (both names present must agree). */
export function presentedToken(query: URLSearchParams): string | undefined {
  const given = TOKEN_PARAMS.map((name) => query.get(name)).filter((v): v is string => v !== null);
  if (given.length === 0) return undefined;
  return given.every((t) => t === given[0]) ? given[0] : '';
}

/** Whether an upgrade without any credential comes from a Codebolt SDK program (older SDKs forward no token). */
export const looksLikeBlock = (query: URLSearchParams): boolean => query.get('IS_SIDE_EXECUTION') === 'true' || query.has('SIDE_EXECUTION_ID');

export const TOKEN_REQUIRED =
  'a Codebolt-built block presents the token of its execution (query parameter threadToken or SIDEX_TOKEN, which Codebolt SDKs that forward their environment send); this one sent none, so it cannot be told from a stranger';

/**
 * Accepts the upgrade of the execution `token` belongs to, and hands the
 * socket to `open`; refuses (401) a token that is unknown, whose execution
 * has ended, or that a `SIDE_EXECUTION_ID` parameter says belongs to another
 * execution, and (409) a second connection of one execution.
 */
export function upgradeBlock(
  request: { req: IncomingMessage; socket: Duplex; head: Buffer; query: URLSearchParams; token: string },
  wss: WebSocketServer,
  blocks: CodeboltBlocks,
  open: (ws: WebSocket, executionId: string) => void,
): void {
  const { req, socket, head, query, token } = request;
  const executionId = blocks.lookupToken(token);
  const claimed = query.get('SIDE_EXECUTION_ID');
  let accepted: WebSocket | undefined;
  let ended = false;
  try {
    if (!executionId) throw new SidexError('UNAUTHORIZED', 'the execution token is not valid: it is unknown, or its execution has ended');
    if (claimed !== null && claimed !== executionId) {
      throw new SidexError('UNAUTHORIZED', `the execution token does not belong to execution "${claimed}" (SIDE_EXECUTION_ID)`);
    }
    blocks.attach(executionId, () => {
      ended = true;
      accepted?.close(1000, 'execution ended');
    });
  } catch (err) {
    const error = isSidexError(err) ? err : new SidexError('UNAUTHORIZED', String(err));
    const [status, reason] = error.code === 'ALREADY_CONNECTED' ? [409, 'Conflict'] : [401, 'Unauthorized'];
    refuse(socket, status, reason, { success: false, error: error.message, code: error.code });
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    accepted = ws;
    if (ended) ws.close(1000, 'execution ended');
    else open(ws, executionId);
  });
}
