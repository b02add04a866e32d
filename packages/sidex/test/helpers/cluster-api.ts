// REST calls against a cluster's servers, and its records as PostgreSQL holds them.
import type { ExecutionRecord } from '../../dist/index.js';
import { eventually } from './sidex.js';
import type { TestServer } from './spawn-server.js';
import { clusterSql, type TestCluster } from './cluster.js';

type Json = Record<string, any>;

export function clusterApi(server: TestServer, route: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${route}`, {
    ...init,
    headers: { authorization: `Bearer ${server.apiKey}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
}

/** The reply's JSON body. */
export const jsonOf = async (server: TestServer, route: string, body?: Json): Promise<Json> =>
  (await (await clusterApi(server, route, body ? { method: 'POST', body: JSON.stringify(body) } : {})).json()) as Json;

export const startOn = (server: TestServer, body: Json): Promise<Json> => jsonOf(server, '/v1/executions', body);

export const statusOn = (server: TestServer, id: string): Promise<Json> => jsonOf(server, `/v1/executions/${id}`);

export const stopOn = (server: TestServer, id: string, body: Json = {}): Promise<Json> => jsonOf(server, `/v1/executions/${id}/stop`, body);

/** Waits until the execution's log (read through `server`) holds `text`; fails the test if it never does. */
export async function untilOutput(server: TestServer, id: string, text: string, timeoutSec = 10): Promise<string> {
  let log = '';
  const found = await eventually(async () => {
    const ndjson = await (await clusterApi(server, `/v1/executions/${id}/logs`)).text();
    log = ndjson.trim() ? ndjson.trim().split('\n').map((l) => JSON.parse(l).data).join('') : '';
    return log.includes(text);
  }, timeoutSec * 1000, 50);
  if (!found) throw new Error(`execution ${id} never wrote ${JSON.stringify(text)}; its log: ${JSON.stringify(log)}`);
  return log;
}

/** The record as stored (with what status replies leave out: marker, startedAt, checkpoint). */
export async function recordOf(cluster: TestCluster, id: string): Promise<ExecutionRecord> {
  const rows = await clusterSql<{ doc: string }>(cluster, 'SELECT doc FROM executions WHERE id = $1', [id]);
  if (!rows[0]) throw new Error(`no record ${id}`);
  return JSON.parse(rows[0].doc) as ExecutionRecord;
}
