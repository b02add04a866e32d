// The HTTP routes of a running server, read from its own OpenAPI document (so
// that no check can miss a route), and a small keep-alive HTTP client that
// tells a response from no response at all.
import http from 'node:http';

export interface HttpRoute {
  method: string;
  /** OpenAPI path, `{name}` for path parameters. */
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyFields: string[];
  /** Served without a key by design (`security: []`). */
  public: boolean;
}

type Operation = { parameters?: Array<{ name: string; in: string }>; requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }; security?: unknown[] };

export async function routesOf(baseUrl: string, key: string): Promise<HttpRoute[]> {
  const response = await fetch(`${baseUrl}/v1/openapi.json`, { headers: { authorization: `Bearer ${key}` } });
  if (!response.ok) throw new Error(`GET /v1/openapi.json: ${response.status}`);
  const document = (await response.json()) as { paths: Record<string, Record<string, Operation>> };
  const routes: HttpRoute[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const params = op.parameters ?? [];
      routes.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodyFields: Object.keys(op.requestBody?.content?.['application/json']?.schema?.properties ?? {}),
        public: Array.isArray(op.security) && op.security.length === 0,
      });
    }
  }
  return routes;
}

export interface HttpOutcome {
  /** undefined: no response (connection reset, timeout). */
  status?: number;
  body: string;
}

export class HttpClient {
  private readonly agent: http.Agent;

  constructor(private readonly port: number, maxSockets = 16) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  send(method: string, path: string, headers: Record<string, string>, body?: Buffer | string, timeoutMs = 30_000): Promise<HttpOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (outcome: HttpOutcome) => {
        if (!settled) {
          settled = true;
          resolve(outcome);
        }
      };
      // Node frames a body of GET / DELETE neither by length nor by chunks unless told: the length is always given.
      const framed = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
      const request = http.request({ host: '127.0.0.1', port: this.port, method, path, headers: framed, agent: this.agent, timeout: timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => done({ status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', () => done({ status: response.statusCode, body: '' }));
      });
      request.on('timeout', () => request.destroy(new Error('timeout')));
      request.on('error', (err) => done({ body: err.message }));
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
