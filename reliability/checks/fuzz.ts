// Hostile input: fast-check generates at least 10,000 frames per WebSocket
// dialect and 10,000 requests per HTTP route (every route of the server's
// OpenAPI document), sent in batches over several connections. Every
// well-framed request must get exactly one reply; frames past the transport's
// limit get its documented refusal; half-open sockets stall or vanish. The
// server must stay up, answer /healthz, and serve a bystander all along.
import fc from 'fast-check';
import type net from 'node:net';
import WebSocket from 'ws';
import { round, type Check, type CheckContext } from '../lib/check.js';
import { HALF_OPEN_KINDS } from '../lib/half-open.js';
import { codeboltFrame, dapFrame, httpCase, type Frame } from '../lib/hostile-arbitraries.js';
import { HttpClient, routesOf, type HttpRoute } from '../lib/http-routes.js';
import { sleep, until, type TestServer } from '../lib/servers.js';
import { figure, mustBe, type Row } from '../lib/table.js';

const FRAMES = 10_000;
const HTTP_REQUESTS = 10_000;
const BATCH = 100;
const SOCKETS = 4;
const HALF_OPEN_EACH = 20;
const SEED = Number(process.env.RELIABILITY_SEED ?? 7);

/** A WebSocket that counts the replies it gets (Codebolt: every frame; DAP: responses). */
class Counted {
  received = 0;
  closedWith: number | undefined;

  private constructor(readonly ws: WebSocket, isReply: (frame: Record<string, unknown>) => boolean) {
    ws.on('message', (data) => {
      try {
        if (isReply(JSON.parse(data.toString()) as Record<string, unknown>)) this.received++;
      } catch {
        this.received++; // a reply that is not JSON is still a reply (and would be a bug of its own)
      }
    });
    ws.on('close', (code) => (this.closedWith = code));
    ws.on('error', () => {});
  }

  static async open(url: string, headers: Record<string, string>, isReply: (frame: Record<string, unknown>) => boolean): Promise<Counted> {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Counted(ws, isReply);
  }

  send(frame: Frame): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  close(): void {
    this.ws.terminate();
  }
}

interface Dialect {
  name: string;
  arbitrary: fc.Arbitrary<Frame>;
  open(server: TestServer): Promise<Counted>;
}

const DIALECTS: Dialect[] = [
  {
    name: '/codebolt',
    arbitrary: codeboltFrame,
    open: (s) => Counted.open(s.wsUrl, { authorization: `Bearer ${s.apiKey}` }, () => true),
  },
  {
    name: '/task/service',
    arbitrary: dapFrame,
    open: async (s) => {
      const socket = await Counted.open(`${s.url.replace(/^http/, 'ws')}/task/service`, {}, (f) => f.type === 'response');
      socket.send({ type: 'request', seq: 1, command: 'auth', arguments: { auth: s.apiKey } });
      if (!(await until(() => socket.received === 1, 10_000))) throw new Error('DAP auth got no response');
      socket.received = 0;
      return socket;
    },
  },
];

interface Tally {
  sent: number;
  answered: number;
  unanswered: number;
  duplicated: number;
  /** Connections the server closed during the fuzz. */
  closed: number;
  /** HTTP: 5xx responses (a bug by the API's own definition). */
  serverErrors: number;
  /** The first few problems, to say what went wrong. */
  examples: string[];
}

const newTally = (): Tally => ({ sent: 0, answered: 0, unanswered: 0, duplicated: 0, closed: 0, serverErrors: 0, examples: [] });
const example = (t: Tally, what: string) => t.examples.length < 3 && t.examples.push(what.slice(0, 160));
const describe = (f: Frame) => (Buffer.isBuffer(f) ? `<${f.length} bytes>` : typeof f === 'string' ? f : JSON.stringify(f)).slice(0, 120);

function alive(server: TestServer): void {
  if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`the server exited (${server.child.exitCode ?? server.child.signalCode})`);
}

/** FRAMES frames in batches over SOCKETS connections; each batch waits for its replies. */
async function fuzzDialect(server: TestServer, dialect: Dialect): Promise<Tally> {
  const tally = newTally();
  let sockets = await Promise.all(Array.from({ length: SOCKETS }, () => dialect.open(server)));
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(dialect.arbitrary, { minLength: BATCH, maxLength: BATCH }), async (frames) => {
        alive(server);
        const before = sockets.map((s) => s.received);
        const expected = sockets.map(() => 0);
        frames.forEach((frame, i) => {
          sockets[i % SOCKETS]!.send(frame);
          expected[i % SOCKETS]!++;
        });
        tally.sent += frames.length;
        await until(() => sockets.every((s, i) => s.received - before[i]! >= expected[i]! || s.closedWith !== undefined), 30_000, 5);
        sockets.forEach((s, i) => {
          const got = s.received - before[i]!;
          tally.answered += Math.min(got, expected[i]!);
          tally.duplicated += Math.max(0, got - expected[i]!);
          if (got < expected[i]!) {
            tally.unanswered += expected[i]! - got;
            example(tally, `${expected[i]! - got} of a batch unanswered; one of them: ${describe(frames[i]!)}`);
          }
        });
        // A connection the server closed is counted, and replaced.
        sockets = await Promise.all(
          sockets.map(async (s) => {
            if (s.closedWith === undefined) return s;
            tally.closed++;
            example(tally, `connection closed by the server (${s.closedWith})`);
            return dialect.open(server);
          }),
        );
        alive(server);
      }),
      { numRuns: FRAMES / BATCH, seed: SEED, endOnFailure: true },
    );
  } catch (err) {
    example(tally, (err as Error).message);
    tally.unanswered += Math.max(0, FRAMES - tally.sent);
  }
  // Late replies would be duplicates: give them a moment to show.
  const settled = sockets.map((s) => s.received);
  await sleep(300);
  tally.duplicated += sockets.reduce((n, s, i) => n + (s.received - settled[i]!), 0);
  sockets.forEach((s) => s.close());
  return tally;
}

/** HTTP_REQUESTS generated requests to one route, 16 in flight. */
async function fuzzRoute(server: TestServer, http: HttpClient, route: HttpRoute): Promise<Tally> {
  const tally = newTally();
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(httpCase(route, server.apiKey), { minLength: BATCH, maxLength: BATCH }), async (cases) => {
        alive(server);
        const outcomes = await Promise.all(cases.map((c) => http.send(route.method, c.path, c.headers, c.body)));
        outcomes.forEach((o, i) => {
          tally.sent++;
          if (o.status === undefined) {
            tally.unanswered++;
            example(tally, `no response (${o.body}) to ${route.method} ${cases[i]!.path.slice(0, 80)}`);
          } else {
            tally.answered++;
            if (o.status >= 500) {
              tally.serverErrors++;
              example(tally, `${o.status} to ${route.method} ${cases[i]!.path.slice(0, 60)} ${describe(cases[i]!.body ?? '')}: ${o.body.slice(0, 80)}`);
            }
          }
        });
      }),
      { numRuns: HTTP_REQUESTS / BATCH, seed: SEED, endOnFailure: true },
    );
  } catch (err) {
    example(tally, (err as Error).message);
    tally.unanswered += Math.max(0, HTTP_REQUESTS - tally.sent);
  }
  return tally;
}

/** Frames and bodies past the transports' limits: the documented refusal, and the server goes on. */
async function oversize(server: TestServer, http: HttpClient): Promise<Row[]> {
  const closeCode = async (open: () => Promise<Counted>, bytes: number) => {
    const socket = await open();
    socket.send(Buffer.alloc(bytes, 0x20));
    await until(() => socket.closedWith !== undefined, 20_000);
    socket.close();
    return socket.closedWith;
  };
  const codebolt = await closeCode(() => DIALECTS[0]!.open(server), 16 * 1024 * 1024 + 1);
  const dap = await closeCode(() => DIALECTS[1]!.open(server), 5 * 1024 * 1024 + 1 + 16 * 1024 * 1024 + 1);
  const body = await http.send('POST', '/v1/executions', { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' }, Buffer.alloc(16 * 1024 * 1024 + 1, 0x20));
  return [
    mustBe('fuzz', '/codebolt frame of 16 MB + 1: closed by the transport with code', codebolt ?? 'none', 1009),
    mustBe('fuzz', '/task/service frame over 5 MB + 1 + 16 MB: closed by the transport with code', dap ?? 'none', 1009),
    mustBe('fuzz', 'HTTP body of 16 MB + 1: status', body.status ?? 'none', 413),
  ];
}

/** Sockets left half-open while the server must go on answering; then closed, the server still up. */
async function halfOpen(server: TestServer, http: HttpClient): Promise<Row[]> {
  const port = Number(new URL(server.url).port);
  const stalled: net.Socket[] = [];
  let failedToOpen = 0;
  for (const kind of HALF_OPEN_KINDS) {
    const sockets = await Promise.allSettled(Array.from({ length: HALF_OPEN_EACH }, () => kind.open(port, server.apiKey)));
    for (const s of sockets) {
      if (s.status === 'rejected') failedToOpen++;
      else if (kind.vanish) s.value.destroy();
      else stalled.push(s.value);
    }
  }
  await sleep(500);
  const health = await http.send('GET', '/healthz', {});
  const codebolt = await DIALECTS[0]!.open(server);
  codebolt.send({ type: 'sideExecution', action: 'countSideExecutions', requestId: 'during-half-open' });
  const dap = await DIALECTS[1]!.open(server);
  dap.send({ type: 'request', seq: 2, command: 'rrext_ping' });
  const served = (await until(() => codebolt.received === 1 && dap.received === 1, 10_000)) && health.status === 200;
  codebolt.close();
  dap.close();
  const stillOpen = stalled.filter((s) => !s.destroyed && s.readyState === 'open').length;
  stalled.forEach((s) => s.destroy());
  return [
    figure('fuzz', `half-open sockets: ${HALF_OPEN_KINDS.map((k) => k.name).join('; ')} (${HALF_OPEN_EACH} each)`, `${HALF_OPEN_KINDS.length * HALF_OPEN_EACH - failedToOpen} opened`),
    mustBe('fuzz', 'half-open: /healthz, a Codebolt and a DAP request answered while they stall', served, true),
    figure('fuzz', 'half-open: stalled sockets the server had not closed yet after 0.5 s', stillOpen),
  ];
}

const fuzz: Check = async ({ fleet, log }: CheckContext) => {
  const server = await fleet.start();
  const bystander = await fleet.client(server);
  const started = await bystander.sideExecution.startWithCode('await new Promise((r) => setTimeout(r, 600000))');
  if (!started.success) throw new Error(`start failed: ${started.error}`);
  let polling = true;
  let bystanderCalls = 0;
  let bystanderFailures = 0;
  const poll = (async () => {
    while (polling) {
      const s = await bystander.sideExecution.getStatus(started.sideExecutionId);
      bystanderCalls++;
      if (!s.success || s.status !== 'running') bystanderFailures++;
      await sleep(20);
    }
  })();
  const http = fleet.adopt(new HttpClient(Number(new URL(server.url).port)));
  const rows: Row[] = [figure('fuzz', 'fast-check seed (RELIABILITY_SEED)', SEED)];
  const tallies: Array<[string, Tally, number]> = [];
  for (const dialect of DIALECTS) {
    log(`fuzz: ${dialect.name}`);
    const began = Date.now();
    tallies.push([`WebSocket ${dialect.name}`, await fuzzDialect(server, dialect), Date.now() - began]);
  }
  const routes = await routesOf(server.url, server.apiKey);
  for (const route of routes) {
    log(`fuzz: ${route.method} ${route.path}`);
    const began = Date.now();
    tallies.push([`${route.method} ${route.path}`, await fuzzRoute(server, http, route), Date.now() - began]);
  }
  for (const [target, t, ms] of tallies) {
    const bad = t.unanswered + t.duplicated + t.closed + t.serverErrors;
    rows.push({
      part: 'fuzz',
      measure: `${target}: sent / unanswered / answered twice / connections closed / 5xx (${round(t.sent / (ms / 1000), 0)}/s)${t.examples.length ? ` — ${t.examples.join(' | ')}` : ''}`,
      value: `${t.sent} / ${t.unanswered} / ${t.duplicated} / ${t.closed} / ${t.serverErrors}`,
      promise: `>= ${target.startsWith('WebSocket') ? FRAMES : HTTP_REQUESTS} / 0 / 0 / 0 / 0`,
      kept: bad === 0 && t.sent >= (target.startsWith('WebSocket') ? FRAMES : HTTP_REQUESTS),
    });
  }
  log('fuzz: oversize, half-open sockets');
  rows.push(...(await oversize(server, http)));
  rows.push(...(await halfOpen(server, http)));
  polling = false;
  await poll;
  const health = await http.send('GET', '/healthz', {});
  const list = await bystander.sideExecution.list({ limit: 1000 });
  rows.push(
    mustBe('fuzz', 'crashes: the server exited', server.child.exitCode !== null || server.child.signalCode !== null, false),
    mustBe('fuzz', '/healthz after everything', health.status ?? 'no response', 200),
    mustBe('fuzz', `bystander: status calls that failed during the fuzz (of ${bystanderCalls})`, bystanderFailures, 0),
    mustBe('fuzz', 'executions started by hostile input (only the bystander may exist)', list.success ? list.executions.length - 1 : 'list failed', 0),
  );
  await bystander.sideExecution.stop(started.sideExecutionId, { graceMs: 500 });
  return rows;
};

export default fuzz;
