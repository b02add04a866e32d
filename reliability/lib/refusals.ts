// How each surface refuses a request without its key, and how a request is
// made there: the tables the security part walks. Every entry is one route or
// one command; the lists come from the server itself (OpenAPI document,
// Codebolt dispatch table, DAP command table), so none can be missed.
import WebSocket from 'ws';
import { dapCommands } from '../../packages/sidex/dist/transports/dap/commands.js';
import { codeboltHandlers } from '../../packages/sidex/dist/transports/codebolt/dispatch.js';
import type { PipelineService } from '../../packages/sidex/dist/services/pipeline-service.js';
import type { HttpClient, HttpRoute } from './http-routes.js';
import type { TestServer } from './servers.js';

export type KeyVariant = 'no key' | 'wrong key' | 'right key';
export type Outcome = 'refused' | 'served';
export const WRONG_KEY = 'wrong-key-ffffffffffffffffffff';

export interface AuthTarget {
  surface: string;
  name: string;
  /** Served without a key by design (e.g. /healthz, DAP's auth and rrext_public_*). */
  public: boolean;
  /** Not a route as such (a spelling of one): no control with the right key. */
  noControl?: true;
  attempt(variant: KeyVariant): Promise<Outcome>;
}

/** Codebolt types and actions, from the server's own dispatch table. */
export function codeboltCommands(): Array<[string, string]> {
  const table = codeboltHandlers();
  return Object.entries(table).flatMap(([type, actions]) => Object.keys(actions).map((action): [string, string] => [type, action]));
}

/** DAP commands, from the server's own command table. */
export function dapCommandNames(): Array<{ name: string; public: boolean }> {
  return [...dapCommands({} as PipelineService, { version: 'x' })].map(([name, command]) => ({ name, public: command.public === true }));
}

/** A WebSocket request: resolves with the reply, or 'refused' when the upgrade or the socket is refused. */
function wsRequest(url: string, headers: Record<string, string>, frames: object[], isReply: (f: Record<string, any>) => boolean): Promise<Record<string, any>[] | 'refused'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const replies: Record<string, any>[] = [];
    const timer = setTimeout(() => (ws.terminate(), resolve(replies.length ? replies : 'refused')), 5000);
    const finish = (value: Record<string, any>[] | 'refused') => {
      clearTimeout(timer);
      ws.terminate();
      resolve(value);
    };
    ws.on('unexpected-response', (_req, res) => finish(res.statusCode === 401 ? 'refused' : [{ status: res.statusCode }]));
    ws.on('error', () => finish('refused'));
    ws.on('close', () => finish(replies.length === frames.length ? replies : 'refused'));
    ws.on('open', () => frames.forEach((f) => ws.send(JSON.stringify(f))));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Record<string, any>;
      if (!isReply(frame)) return;
      replies.push(frame);
      if (replies.length === frames.length) finish(replies);
    });
  });
}

const keyHeader = (variant: KeyVariant, key: string): Record<string, string> =>
  variant === 'no key' ? {} : { authorization: `Bearer ${variant === 'wrong key' ? WRONG_KEY : key}` };

export function restTargets(server: TestServer, http: HttpClient, routes: HttpRoute[]): AuthTarget[] {
  return routes.map((route) => ({
    surface: route.path.startsWith('/task') ? 'HTTP /task' : 'REST',
    name: `${route.method} ${route.path}`,
    public: route.public,
    attempt: async (variant) => {
      const path = route.path.replace(/\{(\w+)\}/g, 'side_0_00000000');
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}';
      const outcome = await http.send(route.method, path, { ...keyHeader(variant, server.apiKey), ...(body ? { 'content-type': 'application/json' } : {}) }, body);
      return outcome.status === 401 ? 'refused' : 'served';
    },
  }));
}

/** Routes spelled otherwise, to slip past the key check (a public path, a trailing slash, case, dot segments, encoding). */
const SPELLINGS = ['/v1/executions/', '//v1/executions', '/v1/./executions', '/healthz/../v1/executions', '/V1/EXECUTIONS', '/v1/executions?x=/healthz', '/healthz%2F..%2Fv1%2Fexecutions', '/v1/executions#/healthz', '/v1/openapi.json/../executions'];

export function spellingTargets(server: TestServer, http: HttpClient): AuthTarget[] {
  return SPELLINGS.map((path) => ({
    surface: 'REST, routes spelled otherwise',
    name: path,
    public: false,
    noControl: true,
    attempt: async (variant) => {
      const outcome = await http.send('GET', path, keyHeader(variant, server.apiKey));
      // Refused, or no such route: nothing is served without the key.
      return outcome.status !== undefined && outcome.status >= 400 ? 'refused' : 'served';
    },
  }));
}

export function codeboltTargets(server: TestServer): AuthTarget[] {
  return codeboltCommands().map(([type, action]) => ({
    surface: 'WebSocket /codebolt',
    name: `${type}.${action}`,
    public: false,
    attempt: async (variant) => {
      const once = async (url: string, headers: Record<string, string>): Promise<Outcome> => {
        const replies = await wsRequest(url, headers, [{ type, action, requestId: 'r1' }], (f) => f.requestId === 'r1');
        return replies === 'refused' || replies[0]?.code === 'UNAUTHORIZED' ? 'refused' : 'served';
      };
      if (variant !== 'wrong key') return once(server.wsUrl, keyHeader(variant, server.apiKey));
      // A wrong key in either place a WebSocket client may put it: the Authorization header, or ?token=.
      const inHeader = await once(server.wsUrl, keyHeader(variant, server.apiKey));
      const inQuery = await once(`${server.wsUrl}?token=${WRONG_KEY}`, {});
      return inHeader === 'refused' && inQuery === 'refused' ? 'refused' : 'served';
    },
  }));
}

export function dapTargets(server: TestServer): AuthTarget[] {
  const url = `${server.url.replace(/^http/, 'ws')}/task/service`;
  return dapCommandNames().map(({ name, public: isPublic }) => ({
    surface: 'WebSocket /task/service',
    name,
    public: isPublic,
    attempt: async (variant) => {
      const command = { type: 'request', seq: 2, command: name, arguments: name === 'auth' ? { auth: variant === 'right key' ? server.apiKey : WRONG_KEY } : {} };
      const auth = variant === 'no key' ? [] : [{ type: 'request', seq: 1, command: 'auth', arguments: { auth: variant === 'right key' ? server.apiKey : WRONG_KEY } }];
      // `auth` itself: "no key" sends none, the other variants are the auth command with that key.
      const frames = name === 'auth' ? (variant === 'no key' ? [{ ...command, arguments: {} }] : [command]) : [...auth, command];
      const replies = await wsRequest(url, {}, frames, (f) => f.type === 'response');
      if (replies === 'refused') return 'refused';
      const last = replies[replies.length - 1]!;
      return last.success === false && ['NOT_AUTHENTICATED', 'UNAUTHORIZED', 'AUTH_FAILED'].includes(last.code) ? 'refused' : last.success === false && name === 'auth' ? 'refused' : 'served';
    },
  }));
}
