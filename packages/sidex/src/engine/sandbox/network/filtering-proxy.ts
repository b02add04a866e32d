// The HTTP proxy that an execution with `network: { allow: [...] }` reaches
// through the Unix socket bind-mounted into its sandbox. It runs in the server,
// outside the sandbox, and forwards CONNECT tunnels and absolute-form `http://`
// requests to allowed hosts only.
//
// Written by hand on node:http rather than taken from npm: the `proxy` package
// (TooTallNate) has no per-target hook (only `authenticate`, answered with 407)
// and dials whatever it is asked; `@anthropic-ai/sandbox-runtime` keeps its
// proxy (`createHttpProxyServer`) out of its public exports, listens on TCP,
// and its current release requires Node 22. What sidex needs is small: match
// the target, dial it through the address guard, pipe, count, close everything.
import fs from 'node:fs';
import http from 'node:http';
import net, { type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { ADDRESS_DENIED, guardedLookup } from './address-guard.js';
import { Allowlist, normalizeHost, splitHostPort, type NormalHost } from './allowlist.js';

export interface FilteringProxyOptions {
  /** Unix socket to listen on; its directory should be private to the server. */
  socketPath: string;
  allow: Allowlist | readonly unknown[];
  /** Name resolution for upstream dials (dns.lookup by default). */
  lookup?: LookupFunction;
  /** How long an upstream may take to accept a connection; default 10 s. */
  connectTimeoutMs?: number;
  /** Client connections at once; more are dropped (each also holds an upstream). Default 1024. */
  maxConnections?: number;
  /** Told of each decision, for the server's logs. */
  onDecision?: (decision: ProxyDecision) => void;
}

export interface ProxyDecision {
  outcome: 'allowed' | 'denied' | 'failed';
  kind: 'connect' | 'http';
  /** As requested (after normalization when it was a host at all). */
  host: string;
  port: number;
  /** Why, for denied and failed. */
  reason?: string;
}

/** One count per CONNECT or per forwarded HTTP request. */
export interface ProxyCounts {
  /** Reached their upstream. */
  allowed: number;
  /** Refused by the proxy: not in the allowlist, a guarded address, or a malformed target. */
  denied: number;
  /** Allowed but the upstream could not be reached (502). */
  failed: number;
}

// Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own, never forwarded.
// `expect` goes too: node:http has already answered 100-continue to the client.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase());
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP.has(name) && !named.includes(name)) out[name] = value;
  }
  return out;
}

function authority(target: NormalHost, port: number): string {
  return `${target.kind === 'ipv6' ? `[${target.host}]` : target.host}:${port}`;
}

function notAllowedText(target: NormalHost, port: number): string {
  return `sidex proxy: ${authority(target, port)} is not in this execution's network allowlist\n`;
}

class UpstreamError extends Error {
  constructor(
    message: string,
    readonly denied: boolean,
  ) {
    super(message);
  }
}

export class FilteringProxy {
  private allow: Allowlist;
  private readonly tally: ProxyCounts = { allowed: 0, denied: 0, failed: 0 };
  private readonly sockets = new Set<Duplex>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly socketPath: string,
    allow: Allowlist,
    private readonly options: FilteringProxyOptions,
  ) {
    this.allow = allow;
    server.on('connection', (socket: net.Socket) => {
      // Past the share of every proxy of this process together: refused at once.
      if (!takeSharedSlot(socket)) return socket.destroy();
      this.track(socket);
    });
    server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.onConnect(req, socket, head));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void this.onRequest(req, res));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (err.code !== 'ECONNRESET' && socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', () => socket.destroy());
      else socket.destroy();
    });
  }

  /** Listens on `options.socketPath` (which must not exist yet) and resolves once it accepts. */
  static start(options: FilteringProxyOptions): Promise<FilteringProxy> {
    const allow = options.allow instanceof Allowlist ? options.allow : Allowlist.parse(options.allow);
    const server = http.createServer();
    // A sandbox must not be able to spend all of the server's file descriptors.
    server.maxConnections = options.maxConnections ?? 1024;
    // Read at each start: the limit may have been changed since the last (prlimit).
    shared.max = Math.max(64, Math.floor(openFilesLimit() / 4));
    const proxy = new FilteringProxy(server, options.socketPath, allow, options);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.socketPath, () => {
        server.off('error', reject);
        // Only the server's user may connect (bwrap maps the sandbox to that user).
        fs.chmodSync(options.socketPath, 0o600);
        resolve(proxy);
      });
    });
  }

  /** Replaces the allowlist for the next connections and requests; open tunnels stay. */
  setAllow(allow: Allowlist | readonly unknown[]): void {
    this.allow = allow instanceof Allowlist ? allow : Allowlist.parse(allow);
  }

  get allowlist(): Allowlist {
    return this.allow;
  }

  counts(): ProxyCounts {
    return { ...this.tally };
  }

  /** Client and upstream sockets still open. */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Stops listening and destroys every connection and tunnel. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private track(socket: Duplex): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // Errors end in 'close'; a listener keeps them from being thrown.
    socket.on('error', () => socket.destroy());
  }

  private decide(decision: ProxyDecision): void {
    this.tally[decision.outcome]++;
    this.options.onDecision?.(decision);
  }

  /** Connects to an allowed target; rejects with UpstreamError (denied: a guarded address). */
  private dial(target: NormalHost, port: number): Promise<net.Socket> {
    const upstream = net.connect({
      host: target.host,
      port,
      allowHalfOpen: true,
      ...(target.kind === 'name' ? { lookup: guardedLookup(target.host, port, () => this.allow, this.options.lookup) } : {}),
    });
    this.track(upstream);
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const fail = (err: NodeJS.ErrnoException) => {
        upstream.destroy();
        const denied = err.code === ADDRESS_DENIED;
        reject(new UpstreamError(denied ? err.message : `cannot reach ${authority(target, port)}: ${err.code ?? err.message}`, denied));
      };
      upstream.setTimeout(timeoutMs, () => fail(Object.assign(new Error('timeout'), { code: `no answer in ${timeoutMs} ms` })));
      upstream.once('error', fail);
      upstream.once('connect', () => {
        upstream.setTimeout(0);
        upstream.off('error', fail);
        resolve(upstream);
      });
    });
  }

  private async onConnect(req: http.IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const refuse = (status: string, text: string) => {
      const body = Buffer.from(text);
      client.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${text}`, () => client.destroy());
    };
    const { host, port } = splitHostPort(req.url ?? '');
    const target = port === undefined || Number.isNaN(port) ? undefined : normalizeHost(host);
    if (!target || port === undefined) {
      this.decide({ outcome: 'denied', kind: 'connect', host: req.url ?? '', port: 0, reason: 'malformed CONNECT target' });
      return refuse('400 Bad Request', `sidex proxy: CONNECT needs host:port, got ${JSON.stringify(req.url)}\n`);
    }
    const shown = { kind: 'connect' as const, host: target.host, port };
    const admitted = await this.admit(shown, target, port);
    if ('refused' in admitted) return refuse(admitted.refused === 403 ? '403 Forbidden' : '502 Bad Gateway', admitted.text);
    const { upstream } = admitted;
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    this.decide({ ...shown, outcome: 'allowed' });
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    splice(client, upstream);
  }

  /** The allowlist's decision, then the dial: a connected upstream, or the status and text to refuse with. Each outcome is told to onDecision. */
  private async admit(
    shown: { kind: 'connect' | 'http'; host: string; port: number },
    target: NormalHost,
    port: number,
  ): Promise<{ upstream: net.Socket } | { refused: 403 | 502; text: string }> {
    if (!this.allow.allowsNormal(target, port)) {
      this.decide({ ...shown, outcome: 'denied', reason: 'not in allowlist' });
      return { refused: 403, text: notAllowedText(target, port) };
    }
    try {
      return { upstream: await this.dial(target, port) };
    } catch (err) {
      const e = err as UpstreamError;
      this.decide({ ...shown, outcome: e.denied ? 'denied' : 'failed', reason: e.message });
      return { refused: e.denied ? 403 : 502, text: `sidex proxy: ${e.message}\n` };
    }
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const refuse = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
      res.end(text);
    };
    const raw = req.url ?? '';
    // Authority and path are taken apart here, on the raw target, so the path is
    // forwarded as the client wrote it; `@` and `\` would let parsers disagree on the host.
    const m = /^http:\/\/([^/?#]*)([^#]*)/i.exec(raw);
    const split = m && !/[@\\]/.test(m[1]!) ? splitHostPort(m[1]!) : undefined;
    const port = split ? (split.port ?? 80) : NaN;
    const target = split && !Number.isNaN(port) ? normalizeHost(split.host) : undefined;
    if (!m || !target) {
      this.decide({ outcome: 'denied', kind: 'http', host: raw, port: 0, reason: 'not an absolute http:// URI' });
      return refuse(400, `sidex proxy: requests must use an absolute http:// URI (CONNECT for https), got ${JSON.stringify(raw)}\n`);
    }
    const shown = { kind: 'http' as const, host: target.host, port };
    const admitted = await this.admit(shown, target, port);
    if ('refused' in admitted) return refuse(admitted.refused, admitted.text);
    const { upstream } = admitted;
    if (res.destroyed || req.destroyed) {
      upstream.destroy();
      return;
    }
    this.decide({ ...shown, outcome: 'allowed' });
    const path = m[2] === '' ? '/' : m[2]!.startsWith('/') ? m[2]! : `/${m[2]}`;
    const headers = forwardable(req.headers);
    headers.host = port === 80 ? authority(target, port).replace(/:80$/, '') : authority(target, port);
    const forward = http.request({ createConnection: () => upstream, method: req.method, path, headers, setHost: false }, (answer) => {
      answer.on('error', () => res.destroy());
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardable(answer.headers));
      answer.pipe(res);
    });
    forward.on('error', (err: NodeJS.ErrnoException) => {
      if (!res.headersSent) refuse(502, `sidex proxy: ${authority(target, port)} failed: ${err.code ?? err.message}\n`);
      else res.destroy();
    });
    req.on('error', () => forward.destroy());
    res.on('close', () => {
      if (!res.writableFinished) forward.destroy();
      upstream.destroy();
    });
    req.pipe(forward);
  }
}

/**
 * Pipes a tunnel both ways, passing half-closes on: one side's FIN ends the
 * other's writing, and a side that has gone entirely takes the other with it
 * once what was written to that other has been flushed.
 */
function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const after = (gone: Duplex, other: Duplex) => () => {
    if (other.destroyed) return;
    if (gone.errored || other.writableFinished) other.destroy();
    else {
      other.once('finish', () => other.destroy());
      other.end();
    }
  };
  a.once('close', after(a, b));
  b.once('close', after(b, a));
}

/** Starts a FilteringProxy (see FilteringProxy.start). */
/**
 * Client connections of all the proxies of this process together. Each
 * proxy bounds its own (maxConnections), but a server runs one per
 * allowlisted sandbox: four sandboxes took the 4,096 descriptors of a server
 * and it stopped answering. A connection holds two descriptors (its
 * upstream too), so together they may hold half of the process's.
 */
const shared = { open: 0, max: 256 };

function takeSharedSlot(socket: net.Socket): boolean {
  if (shared.open >= shared.max) return false;
  shared.open++;
  socket.once('close', () => shared.open--);
  return true;
}

/** RLIMIT_NOFILE's soft limit, as /proc says it; 1024 where it cannot be read. */
function openFilesLimit(): number {
  try {
    const found = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'latin1'))?.[1];
    return found ? Number(found) : 1024;
  } catch {
    return 1024;
  }
}

export function startFilteringProxy(options: FilteringProxyOptions): Promise<FilteringProxy> {
  return FilteringProxy.start(options);
}
