// The pieces of `network: { allow: [...] }`: the allowlist, the filtering proxy
// on a real Unix socket with real upstream servers on 127.0.0.1, and the
// in-sandbox bridge driven from a child node process.
import { execFile, spawnSync } from 'node:child_process';
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isGuardedAddress } from '../dist/engine/sandbox/network/address-guard.js';
import { Allowlist } from '../dist/engine/sandbox/network/allowlist.js';
import { FilteringProxy, type FilteringProxyOptions, type ProxyDecision } from '../dist/engine/sandbox/network/filtering-proxy.js';
import { SidexError } from '../dist/errors.js';
import { installed, itNeeds } from './helpers/machine-needs.js';

function refusal(entries: unknown): SidexError {
  try {
    Allowlist.parse(entries);
  } catch (err) {
    if (err instanceof SidexError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(entries)}`);
}

describe('allowlist', () => {
  it('matches names exactly, on any port unless one is given', () => {
    const list = Allowlist.parse(['example.com', 'api.example.org:443']);
    expect(list.allows('example.com', 80)).toBe(true);
    expect(list.allows('example.com', 8443)).toBe(true);
    expect(list.allows('EXAMPLE.Com.', 443)).toBe(true);
    expect(list.allows('a.example.com', 443)).toBe(false);
    expect(list.allows('example.com.evil.net', 443)).toBe(false);
    expect(list.allows('notexample.com', 443)).toBe(false);
    expect(list.allows('api.example.org', 443)).toBe(true);
    expect(list.allows('api.example.org', 80)).toBe(false);
  });

  it('*.domain matches strict subdomains, not the apex, never an IP literal', () => {
    const list = Allowlist.parse(['*.example.com']);
    expect(list.allows('a.example.com', 443)).toBe(true);
    expect(list.allows('a.b.example.com', 80)).toBe(true);
    expect(list.allows('example.com', 443)).toBe(false);
    expect(list.allows('badexample.com', 443)).toBe(false);
    expect(list.allows('127.0.0.1', 443)).toBe(false);
    expect(Allowlist.parse(['*.example.com:8443']).allows('a.example.com', 443)).toBe(false);
  });

  it('matches IP literals by address, however the request spells it, and never by name', () => {
    const list = Allowlist.parse(['127.0.0.1:8080', '[::1]:9000', '10.1.2.3', '[2001:DB8::1]']);
    expect(list.allows('127.0.0.1', 8080)).toBe(true);
    expect(list.allows('127.1', 8080)).toBe(true);
    expect(list.allows('[::ffff:127.0.0.1]', 8080)).toBe(true);
    expect(list.allows('127.0.0.1', 8081)).toBe(false);
    expect(list.allows('localhost', 8080)).toBe(false);
    expect(list.allows('[::1]', 9000)).toBe(true);
    expect(list.allows('[0:0:0:0:0:0:0:1]', 9000)).toBe(true);
    expect(list.allows('[::1]', 9001)).toBe(false);
    expect(list.allows('10.1.2.3', 5432)).toBe(true);
    expect(list.allows('10.1.2.4', 5432)).toBe(false);
    expect(list.allows('[2001:db8:0::1]', 443)).toBe(true);
    // A name is not resolved to match an address entry.
    expect(Allowlist.parse(['localhost']).allows('127.0.0.1', 80)).toBe(false);
  });

  it('compares international names in punycode', () => {
    const list = Allowlist.parse(['bücher.example']);
    expect(list.allows('xn--bcher-kva.example', 443)).toBe(true);
    expect(list.allows('BÜCHER.example', 443)).toBe(true);
  });

  it('an empty list allows nothing', () => {
    expect(Allowlist.parse([]).allows('example.com', 443)).toBe(false);
  });

  it.each([
    ['http://x', 'is not a host pattern (use host, host:port or *.domain)'],
    ['example.com/path', 'is not a host pattern'],
    ['user@example.com', 'is not a host pattern'],
    ['exa mple.com', 'is not a host pattern'],
    ['', 'is not a host pattern'],
    [42, 'is not a host pattern'],
    ['*', 'would allow every host'],
    ['*.com', 'is too broad'],
    ['a.*.example.com', 'has a wildcard that is not a leading "*." (write *.example.com)'],
    ['*example.com', 'has a wildcard that is not a leading "*." (write *.example.com)'],
    ['*.10.0.0.1', 'puts a wildcard on an IP address'],
    ['example.com:0', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['example.com:65536', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['example.com:https', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['example.com:', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['[::1]x', 'has an invalid port (a port is a number from 1 to 65535)'],
    ['::1', 'is an IPv6 address without brackets (write [::1] or [::1]:443)'],
    ['2001:db8::1:443', 'is an IPv6 address without brackets (write [::1] or [::1]:443)'],
    ['[::1', 'is not a valid host'],
    ['[example.com]', 'is not a valid host'],
    ['-bad-.com', 'is not a valid host'],
    ['foo.123', 'is not a valid host'],
    ['a..b.com', 'is not a valid host'],
  ])('refuses %j naming it and its index', (entry, why) => {
    const err = refusal(['example.com', '*.example.org', entry]);
    expect(err.code).toBe('INVALID_NETWORK');
    expect(err.message).toContain(`network.allow[2]: ${JSON.stringify(entry)} ${why}`);
    expect(err.details).toMatchObject({ field: 'network.allow', index: 2 });
  });

  it('says exactly what is wrong, under the field it was given', () => {
    expect(refusal(['example.com', 'ok.example.net', 'http://x']).message).toBe('network.allow[2]: "http://x" is not a host pattern (use host, host:port or *.domain)');
    expect(() => Allowlist.parse(['http://x'], 'executions[3].network.allow')).toThrow('executions[3].network.allow[0]: "http://x"');
    expect(refusal('example.com').message).toBe('network.allow must be a list of host patterns (use host, host:port or *.domain)');
  });
});

// ---- helpers: every wait is bounded, nothing sleeps a fixed time ----

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'sidex-net-'));

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** A real HTTP server on 127.0.0.1 that answers what it was asked, and counts connections. */
async function httpUpstream() {
  const seen = { connections: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(`${req.method} ${req.url} host=${req.headers.host} body=${body}`));
  });
  server.on('connection', () => seen.connections++);
  const port = await listen(server);
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  cleanups.push(() => server.closeAllConnections());
  return { port, seen };
}

/** A TCP echo server on 127.0.0.1; when its client half-closes it says "bye" and ends too. */
async function echoUpstream() {
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk) => socket.write(chunk));
    socket.on('end', () => socket.end('bye'));
  });
  const port = await listen(server);
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  cleanups.push(() => open.forEach((s) => s.destroy()));
  return { port, open };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function startProxy(allow: readonly string[], extra: Partial<FilteringProxyOptions> = {}) {
  const dir = tempDir();
  const decisions: ProxyDecision[] = [];
  const proxy = await FilteringProxy.start({ socketPath: path.join(dir, 'proxy.sock'), allow, onDecision: (d) => decisions.push(d), ...extra });
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => proxy.close());
  return { proxy, decisions };
}

interface Answer {
  status: number;
  body: string;
}

/** An absolute-form request to the proxy, as curl or an HTTP library sends it. */
function viaProxy(socketPath: string, url: string, method = 'GET', body?: string): Promise<Answer> {
  return within(
    new Promise<Answer>((resolve, reject) => {
      const req = http.request({ socketPath, method, path: url, headers: { host: URL.canParse(url) ? new URL(url).host : 'nowhere' }, agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    }),
    `${method} ${url}`,
  );
}

/** Reads a socket into a string, with a wait for what is expected. */
function reader(socket: net.Socket) {
  const state = { text: '', ended: false, closed: false };
  socket.on('data', (c: Buffer) => (state.text += c.toString('latin1')));
  socket.on('end', () => (state.ended = true));
  socket.on('close', () => (state.closed = true));
  socket.on('error', () => {});
  return { state, wait: (check: () => boolean, what: string) => until(check, what) };
}

/** Sends raw bytes to the proxy's socket and returns everything said back until it closes. */
async function rawExchange(socketPath: string, text: string): Promise<string> {
  const socket = net.connect(socketPath);
  const r = reader(socket);
  socket.write(text);
  await r.wait(() => r.state.closed, `the answer to ${JSON.stringify(text.split('\r\n')[0])}`);
  return r.state.text;
}

/** Opens a CONNECT tunnel (with `early` bytes sent right behind the request) and expects 200. */
async function openTunnel(socketPath: string, target: string, early = '') {
  const socket = net.connect({ path: socketPath, allowHalfOpen: true });
  const r = reader(socket);
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n${early}`);
  await r.wait(() => r.state.text.includes('\r\n\r\n'), 'the CONNECT answer');
  expect(r.state.text.split('\r\n')[0]).toBe('HTTP/1.1 200 Connection Established');
  r.state.text = r.state.text.slice(r.state.text.indexOf('\r\n\r\n') + 4);
  cleanups.push(() => void socket.destroy());
  return { socket, ...r };
}

describe('address guard', () => {
  it('covers loopback, unspecified, link-local and metadata addresses, not private ranges or the Internet', () => {
    for (const a of ['127.0.0.1', '127.9.9.9', '0.0.0.0', '169.254.169.254', '::1', '::', 'fe80::1', '::ffff:127.0.0.1', 'fd00:ec2::254']) expect([a, isGuardedAddress(a)]).toEqual([a, true]);
    for (const a of ['10.0.0.1', '192.168.1.1', '172.16.0.1', 'fd00::1', '93.184.216.34', '2001:db8::1']) expect([a, isGuardedAddress(a)]).toEqual([a, false]);
  });
});

describe('filtering proxy on a Unix socket', () => {
  it('forwards allowed absolute-form HTTP requests, bodies included, with the Host of the URI', async () => {
    const up = await httpUpstream();
    const { proxy, decisions } = await startProxy([`127.0.0.1:${up.port}`]);
    expect(await viaProxy(proxy.socketPath, `http://127.0.0.1:${up.port}/a/b?c=1`)).toEqual({ status: 200, body: `GET /a/b?c=1 host=127.0.0.1:${up.port} body=` });
    expect(await viaProxy(proxy.socketPath, `http://127.0.0.1:${up.port}/post`, 'POST', 'hello')).toEqual({ status: 200, body: `POST /post host=127.0.0.1:${up.port} body=hello` });
    expect(proxy.counts()).toEqual({ allowed: 2, denied: 0, failed: 0 });
    expect(decisions.map((d) => [d.outcome, d.kind, d.host, d.port])).toEqual([
      ['allowed', 'http', '127.0.0.1', up.port],
      ['allowed', 'http', '127.0.0.1', up.port],
    ]);
  });

  it('carries bytes both ways through an allowed CONNECT tunnel, early bytes and half-close included', async () => {
    const echo = await echoUpstream();
    const { proxy } = await startProxy([`127.0.0.1:${echo.port}`]);
    const tunnel = await openTunnel(proxy.socketPath, `127.0.0.1:${echo.port}`, 'early;');
    await tunnel.wait(() => tunnel.state.text === 'early;', 'the early bytes echoed');
    tunnel.socket.write('ping;');
    await tunnel.wait(() => tunnel.state.text === 'early;ping;', 'ping echoed');
    // Our FIN reaches the upstream, whose answer and FIN still come back.
    tunnel.socket.end('last;');
    await tunnel.wait(() => tunnel.state.ended, 'the end of the tunnel');
    expect(tunnel.state.text).toBe('early;ping;last;bye');
    await until(() => proxy.openSockets === 0 && echo.open.size === 0, 'every socket of the tunnel to close');
    expect(proxy.counts()).toEqual({ allowed: 1, denied: 0, failed: 0 });
  });

  it('refuses a host outside the allowlist with 403 and a one-line reason, connecting nothing', async () => {
    const up = await httpUpstream();
    const { proxy, decisions } = await startProxy(['example.com', `127.0.0.1:${up.port + 1}`]);
    const line = `sidex proxy: 127.0.0.1:${up.port} is not in this execution's network allowlist\n`;
    expect(await viaProxy(proxy.socketPath, `http://127.0.0.1:${up.port}/`)).toEqual({ status: 403, body: line });
    const connect = await rawExchange(proxy.socketPath, `CONNECT 127.0.0.1:${up.port} HTTP/1.1\r\nHost: 127.0.0.1:${up.port}\r\n\r\n`);
    expect(connect.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(connect.endsWith(`\r\n\r\n${line}`)).toBe(true);
    const other = await rawExchange(proxy.socketPath, 'CONNECT www.example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n');
    expect(other).toContain("sidex proxy: www.example.com:443 is not in this execution's network allowlist");
    expect(up.seen.connections).toBe(0);
    expect(proxy.counts()).toEqual({ allowed: 0, denied: 3, failed: 0 });
    expect(decisions.every((d) => d.outcome === 'denied' && d.reason === 'not in allowlist')).toBe(true);
    await until(() => proxy.openSockets === 0, 'refused connections to close');
  });

  it('answers 502 when an allowed target cannot be reached', async () => {
    const port = await closedPort();
    const { proxy } = await startProxy([`127.0.0.1:${port}`]);
    const answer = await viaProxy(proxy.socketPath, `http://127.0.0.1:${port}/`);
    expect(answer).toEqual({ status: 502, body: `sidex proxy: cannot reach 127.0.0.1:${port}: ECONNREFUSED\n` });
    const connect = await rawExchange(proxy.socketPath, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\n\r\n`);
    expect(connect.split('\r\n')[0]).toBe('HTTP/1.1 502 Bad Gateway');
    expect(proxy.counts()).toEqual({ allowed: 0, denied: 0, failed: 2 });
  });

  it('answers 400 to what is no proxy request', async () => {
    const { proxy } = await startProxy(['example.com']);
    expect((await viaProxy(proxy.socketPath, '/just/a/path')).status).toBe(400);
    expect((await viaProxy(proxy.socketPath, 'https://example.com/')).status).toBe(400);
    expect((await viaProxy(proxy.socketPath, 'http://user@example.com/')).status).toBe(400);
    expect((await rawExchange(proxy.socketPath, 'CONNECT example.com HTTP/1.1\r\n\r\n')).split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect((await rawExchange(proxy.socketPath, 'NOT HTTP AT ALL\r\n\r\n')).split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(proxy.counts().allowed).toBe(0);
  });

  it('setAllow takes effect on the next request; a bad list is refused and changes nothing', async () => {
    const up = await httpUpstream();
    const { proxy } = await startProxy([]);
    const url = `http://127.0.0.1:${up.port}/`;
    expect((await viaProxy(proxy.socketPath, url)).status).toBe(403);
    proxy.setAllow([`127.0.0.1:${up.port}`]);
    expect((await viaProxy(proxy.socketPath, url)).status).toBe(200);
    expect(() => proxy.setAllow(['ok.example.com', 'http://x'])).toThrow('network.allow[1]: "http://x" is not a host pattern');
    expect((await viaProxy(proxy.socketPath, url)).status).toBe(200);
    proxy.setAllow(Allowlist.parse(['example.com']));
    expect((await viaProxy(proxy.socketPath, url)).status).toBe(403);
    expect(proxy.counts()).toEqual({ allowed: 2, denied: 2, failed: 0 });
    expect(up.seen.connections).toBe(2);
  });

  it('refuses an allowed name that resolves to loopback unless that address is allowed itself (localhost excepted)', async () => {
    const up = await httpUpstream();
    // A hosts file of the test's own: rebind.test points at 127.0.0.1, as a hostile DNS record could.
    const lookup: net.LookupFunction = (hostname, options, callback) => dns.lookup(hostname === 'rebind.test' ? '127.0.0.1' : hostname, options, callback);
    const { proxy } = await startProxy(['rebind.test'], { lookup });
    const refused = await viaProxy(proxy.socketPath, `http://rebind.test:${up.port}/`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('rebind.test resolves to 127.0.0.1, which an allowed name may not reach');
    const connect = await rawExchange(proxy.socketPath, `CONNECT rebind.test:${up.port} HTTP/1.1\r\n\r\n`);
    expect(connect.split('\r\n')[0]).toBe('HTTP/1.1 403 Forbidden');
    expect(up.seen.connections).toBe(0);
    expect(proxy.counts()).toEqual({ allowed: 0, denied: 2, failed: 0 });

    proxy.setAllow(['rebind.test', `127.0.0.1:${up.port}`]);
    expect(await viaProxy(proxy.socketPath, `http://rebind.test:${up.port}/x`)).toEqual({ status: 200, body: `GET /x host=rebind.test:${up.port} body=` });
    proxy.setAllow([`localhost:${up.port}`]);
    expect((await viaProxy(proxy.socketPath, `http://localhost:${up.port}/`)).status).toBe(200);
  });

  it('a client that goes away mid-tunnel takes its upstream connection with it', async () => {
    const echo = await echoUpstream();
    const { proxy } = await startProxy([`127.0.0.1:${echo.port}`]);
    const tunnel = await openTunnel(proxy.socketPath, `127.0.0.1:${echo.port}`);
    tunnel.socket.write('x');
    await tunnel.wait(() => tunnel.state.text === 'x', 'the echo');
    expect(echo.open.size).toBe(1);
    tunnel.socket.destroy();
    await until(() => echo.open.size === 0 && proxy.openSockets === 0, 'the upstream side to close');
  });

  it('close() ends every open tunnel and removes its socket', async () => {
    const echo = await echoUpstream();
    const { proxy } = await startProxy([`127.0.0.1:${echo.port}`]);
    const tunnels = [await openTunnel(proxy.socketPath, `127.0.0.1:${echo.port}`), await openTunnel(proxy.socketPath, `127.0.0.1:${echo.port}`)];
    for (const t of tunnels) {
      t.socket.write('up');
      await t.wait(() => t.state.text === 'up', 'the echo');
    }
    expect(echo.open.size).toBe(2);
    await within(proxy.close(), 'close()');
    // The clients are half-open: for them the tunnel ends in EOF.
    await until(() => tunnels.every((t) => t.state.ended) && echo.open.size === 0, 'the tunnels to be cut at both ends');
    expect(proxy.openSockets).toBe(0);
    expect(fs.existsSync(proxy.socketPath)).toBe(false);
  });
});

// The bridge installs a global fetch dispatcher and sets process.env: it runs in
// a child node process, as it will in the sandboxed runtime, so nothing leaks here.
const bridgeModule = pathToFileURL(fileURLToPath(new URL('../dist/runtime/network/sandbox-bridge.js', import.meta.url))).href;
const CHILD = `
import { execFileSync } from 'node:child_process';
const [bridgeModule, socketPath, noProxy, ...urls] = process.argv.slice(2);
const { startNetworkBridge } = await import(bridgeModule);
const bridge = await startNetworkBridge({ socketPath, thread: process.env.BRIDGE_THREAD !== '0', ...(noProxy === 'default' ? {} : { noProxy }) });
const names = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'NO_PROXY', 'no_proxy'];
const out = { port: bridge.port, mode: bridge.mode, env: Object.fromEntries(names.map((n) => [n, process.env[n]])), fetches: [], curl: [] };
const chain = (e) => { const parts = []; for (let c = e; c; c = c.cause) parts.push(String(c.message)); return parts.join(' <- '); };
for (const url of urls) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(10000) });
    out.fetches.push({ status: r.status, body: await r.text() });
  } catch (e) {
    out.fetches.push({ error: chain(e) });
  }
}
if (process.env.TRY_CURL) {
  for (const url of urls) {
    // curl reads the proxy variables the bridge set, as any child program would;
    // a synchronous call, as user code often makes, blocking this thread meanwhile.
    out.curl.push(execFileSync('curl', ['-sS', '--max-time', '10', '-w', ' %{http_code}', url], { encoding: 'utf8' }));
  }
}
await bridge.close();
console.log(JSON.stringify(out));
`;

interface ChildReport {
  port: number;
  mode: 'thread' | 'in-process';
  env: Record<string, string | undefined>;
  fetches: Array<{ status?: number; body?: string; error?: string }>;
  curl: string[];
}

interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  nodeFlags?: string[];
  /** A command the child runs under, e.g. bwrap and its arguments. */
  wrap?: string[];
}

async function runBridgeChild(socketPath: string, noProxy: string, urls: string[], { env = {}, nodeFlags = [], wrap = [] }: ChildOptions = {}): Promise<{ report: ChildReport; stderr: string }> {
  const dir = tempDir();
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const script = path.join(dir, 'child.mjs');
  fs.writeFileSync(script, CHILD);
  // Names the child might inherit from this machine must not decide its route.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/_proxy$/i.test(k)));
  return new Promise((resolve, reject) => {
    const command = [...wrap, process.execPath, ...nodeFlags, script, bridgeModule, socketPath, noProxy, ...urls];
    execFile(command[0]!, command.slice(1), { env: { ...clean, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`bridge child failed: ${err.message}\n${stderr}`));
      resolve({ report: JSON.parse(stdout) as ChildReport, stderr });
    });
  });
}

const hasCurl = installed('curl');
// What the sandbox will be: no network of its own, the proxy's socket reachable (read-only bind of /).
const BWRAP = ['bwrap', '--unshare-net', '--die-with-parent', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
const hasBwrap = spawnSync(BWRAP[0]!, [...BWRAP.slice(1), 'true'], { timeout: 10_000 }).status === 0;

describe('in-sandbox bridge (child node process)', () => {
  it("routes Node's global fetch through bridge and proxy: allowed answers, denied fails with the proxy's 403", async () => {
    const up = await httpUpstream();
    const other = await httpUpstream();
    const { proxy, decisions } = await startProxy([`127.0.0.1:${up.port}`]);
    const { report, stderr } = await runBridgeChild(proxy.socketPath, '', [`http://127.0.0.1:${up.port}/via-bridge`, `http://127.0.0.1:${other.port}/nope`]);
    const proxyUrl = `http://127.0.0.1:${report.port}`;
    expect(report.mode).toBe('thread');
    expect(report.env).toEqual({ HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl, ALL_PROXY: proxyUrl, http_proxy: proxyUrl, https_proxy: proxyUrl, all_proxy: proxyUrl, NO_PROXY: '', no_proxy: '' });
    expect(report.fetches[0]).toEqual({ status: 200, body: `GET /via-bridge host=127.0.0.1:${up.port} body=` });
    // undici tunnels plain http through CONNECT too, and says which status refused it.
    expect(report.fetches[1]?.error).toMatch(/^fetch failed <- .*Proxy response \(403\)/);
    expect(other.seen.connections).toBe(0);
    expect(decisions.map((d) => [d.outcome, d.kind, d.port])).toEqual([
      ['allowed', 'connect', up.port],
      ['denied', 'connect', other.port],
    ]);
    // undici's "EnvHttpProxyAgent is experimental" warning is not the user's business.
    expect(stderr).toBe('');
  });

  itNeeds('curl', hasCurl)('child programs such as curl follow the variables the bridge set, even called synchronously', async () => {
    const up = await httpUpstream();
    const other = await httpUpstream();
    const { proxy } = await startProxy([`127.0.0.1:${up.port}`]);
    const { report } = await runBridgeChild(proxy.socketPath, '', [`http://127.0.0.1:${up.port}/curl`, `http://127.0.0.1:${other.port}/nope`], { env: { TRY_CURL: '1' } });
    expect(report.curl).toEqual([`GET /curl host=127.0.0.1:${up.port} body= 200`, `sidex proxy: 127.0.0.1:${other.port} is not in this execution's network allowlist\n 403`]);
    expect(other.seen.connections).toBe(0);
    expect(proxy.counts()).toEqual({ allowed: 2, denied: 2, failed: 0 });
  });

  it('runs on the main thread when asked, or where the permission model refuses workers', async () => {
    const up = await httpUpstream();
    const { proxy } = await startProxy([`127.0.0.1:${up.port}`]);
    const url = `http://127.0.0.1:${up.port}/main-thread`;
    const asked = await runBridgeChild(proxy.socketPath, '', [url], { env: { BRIDGE_THREAD: '0' } });
    expect(asked.report.mode).toBe('in-process');
    expect(asked.report.fetches).toEqual([{ status: 200, body: `GET /main-thread host=127.0.0.1:${up.port} body=` }]);
    const confined = await runBridgeChild(proxy.socketPath, '', [url], { nodeFlags: ['--experimental-permission', '--allow-fs-read=*', '--no-warnings'] });
    expect(confined.report.mode).toBe('in-process');
    expect(confined.report.fetches).toEqual([{ status: 200, body: `GET /main-thread host=127.0.0.1:${up.port} body=` }]);
    expect(proxy.counts()).toEqual({ allowed: 2, denied: 0, failed: 0 });
  });

  it("by default the sandbox's loopback bypasses the proxy (NO_PROXY), as its own servers need", async () => {
    const up = await httpUpstream();
    const { proxy } = await startProxy([]);
    const { report } = await runBridgeChild(proxy.socketPath, 'default', [`http://127.0.0.1:${up.port}/direct`]);
    expect(report.env.NO_PROXY).toBe('localhost,127.0.0.1,::1');
    // Outside a sandbox this reaches the test's server directly; inside, the sandbox's own loopback.
    expect(report.fetches).toEqual([{ status: 200, body: `GET /direct host=127.0.0.1:${up.port} body=` }]);
    expect(proxy.counts()).toEqual({ allowed: 0, denied: 0, failed: 0 });
  });

  itNeeds('bwrap --unshare-net and curl', hasBwrap && hasCurl)('end to end in bwrap --unshare-net: fetch and curl reach allowed hosts only through the proxy', async () => {
    const up = await httpUpstream();
    const other = await httpUpstream();
    const { proxy } = await startProxy([`127.0.0.1:${up.port}`]);
    const urls = [`http://127.0.0.1:${up.port}/sandboxed`, `http://127.0.0.1:${other.port}/nope`];
    const { report } = await runBridgeChild(proxy.socketPath, '', urls, { env: { TRY_CURL: '1' }, wrap: BWRAP });
    expect(report.mode).toBe('thread');
    expect(report.fetches[0]).toEqual({ status: 200, body: `GET /sandboxed host=127.0.0.1:${up.port} body=` });
    expect(report.fetches[1]?.error).toContain('Proxy response (403)');
    expect(report.curl[0]).toBe(`GET /sandboxed host=127.0.0.1:${up.port} body= 200`);
    expect(report.curl[1]).toMatch(/ 403$/);
    expect(other.seen.connections).toBe(0);
    expect(proxy.counts()).toEqual({ allowed: 2, denied: 2, failed: 0 });
  });

  itNeeds('bwrap --unshare-net', hasBwrap)('in bwrap --unshare-net, what ignores the proxy has no network at all', async () => {
    const up = await httpUpstream();
    const dir = tempDir();
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const script = path.join(dir, 'direct.mjs');
    // node:http without a proxy agent: the server's loopback is not the sandbox's, and no name resolves.
    fs.writeFileSync(
      script,
      `import http from 'node:http';
const tryGet = (url) => new Promise((r) => http.get(url, (res) => r(String(res.statusCode))).on('error', (e) => r(e.code)));
console.log(JSON.stringify([await tryGet(process.argv[2]), await tryGet('http://sidex-test.invalid/')]));`,
    );
    const result = spawnSync(BWRAP[0]!, [...BWRAP.slice(1), process.execPath, script, `http://127.0.0.1:${up.port}/`], { encoding: 'utf8', timeout: 20_000 });
    const [loopback, name] = JSON.parse(result.stdout) as string[];
    expect(loopback).toBe('ECONNREFUSED');
    expect(['EAI_AGAIN', 'ENOTFOUND']).toContain(name);
    expect(up.seen.connections).toBe(0);
  });
});
