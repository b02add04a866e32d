// Runs INSIDE the sandbox, in the Node runtime, before user code, when the
// execution's network is `{ allow: [...] }`. The sandbox has no network of its
// own (bwrap --unshare-net, loopback only); the filtering proxy listens outside
// on a Unix socket that is bind-mounted in. Most clients only know TCP proxies
// (`http://host:port` in HTTP_PROXY), so this bridge listens on the sandbox's
// own 127.0.0.1 and pipes each connection to that socket.
//
// The listener runs on a worker thread by default: user code that blocks the
// main thread in a synchronous call that needs the network
// (execSync('pip install ...'), spawnSync('curl', ...)) would otherwise wait
// on a bridge that cannot run until the call returns. Where workers are not
// allowed (Node's permission model without --allow-worker) it falls back to the
// runtime's own event loop, and such synchronous calls then hang until the
// client's own timeout.
//
// What goes through the proxy once startNetworkBridge has run:
// - child programs that honor the proxy variables: curl, wget, pip, npm, git
//   over https, Python requests/httpx/urllib, Go's net/http, ...;
// - Node's global fetch (undici's EnvHttpProxyAgent as the global dispatcher).
// What does not:
// - node:http / node:https requests without a proxy-aware agent, raw
//   node:net sockets, programs that ignore the variables, UDP and DNS: with no
//   network they fail (ENETUNREACH, EAI_AGAIN), nothing leaks;
// - hosts in NO_PROXY (by default the sandbox's own loopback), which go
//   direct to the sandbox's loopback, as a program that talks to a server it
//   started itself expects.
//
// Only node:net and node:worker_threads are imported here: this file loads in
// every sandboxed runtime with an allowlist; undici is imported lazily by
// routeFetchThroughProxy.
import net from 'node:net';
import { Worker } from 'node:worker_threads';

export interface NetworkBridge {
  /** The TCP port on the sandbox's 127.0.0.1. */
  port: number;
  /** Where the listener runs. */
  mode: 'thread' | 'in-process';
  /** `http://127.0.0.1:<port>`, the value of the proxy variables. */
  proxyUrl: string;
  /** Stops listening and cuts the open connections. */
  close(): Promise<void>;
}

/** Loopback inside the sandbox stays the sandbox's own. */
export const DEFAULT_NO_PROXY = 'localhost,127.0.0.1,::1';

/**
 * Listens on 127.0.0.1 (`port` 0: any free one) in this thread and pipes every
 * connection to the proxy's Unix socket, passing half-closes on. With `unref`
 * (the default) the listener does not keep the process alive; open
 * connections do.
 */
export function startProxyBridge(socketPath: string, { port = 0, unref = true }: { port?: number; unref?: boolean } = {}): Promise<NetworkBridge> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ path: socketPath, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      open.add(s);
      s.once('close', () => open.delete(s));
    }
    // A failure on either side ends both: there is nothing to retry here.
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut);
    upstream.on('error', cut);
    client.pipe(upstream);
    upstream.pipe(client);
    // A side that has gone entirely takes the other once that one is flushed.
    const after = (other: net.Socket) => () => {
      if (other.destroyed) return;
      if (other.writableFinished) other.destroy();
      else other.once('finish', () => other.destroy()).end();
    };
    client.once('close', after(upstream));
    upstream.once('close', after(client));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      if (unref) server.unref();
      const bound = (server.address() as net.AddressInfo).port;
      resolve({
        port: bound,
        mode: 'in-process',
        proxyUrl: `http://127.0.0.1:${bound}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of open) s.destroy();
          }),
      });
    });
  });
}

/**
 * Sets HTTP_PROXY, HTTPS_PROXY, ALL_PROXY (both cases) to `proxyUrl` and
 * NO_PROXY (both cases) to `noProxy`, in `env` (process.env by default) so
 * that child programs inherit them. `noProxy: ''` sends loopback through the
 * proxy too (and so to the server's loopback, if allowed).
 */
export function setProxyEnv(proxyUrl: string, noProxy = DEFAULT_NO_PROXY, env: NodeJS.ProcessEnv = process.env): void {
  for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY']) {
    env[name] = proxyUrl;
    env[name.toLowerCase()] = proxyUrl;
  }
  env.NO_PROXY = noProxy;
  env.no_proxy = noProxy;
}

/**
 * Makes Node's global fetch go through `proxyUrl` (NO_PROXY hosts excepted):
 * Node 20 reads no proxy variables itself, but its fetch uses whatever
 * dispatcher undici's setGlobalDispatcher installed. Undici 6 is the major Node
 * 20 bundles (7 also works on 20.20 but needs >= 20.18.1; 8 needs Node 22).
 */
export async function routeFetchThroughProxy(proxyUrl: string, noProxy = DEFAULT_NO_PROXY): Promise<void> {
  const { EnvHttpProxyAgent, setGlobalDispatcher } = await import('undici');
  // Its "experimental" warning would land on the user's stderr; it is ours, not theirs.
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = (rest[0] as { code?: unknown } | undefined)?.code;
    if (code !== 'UNDICI-EHPA') (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    setGlobalDispatcher(new EnvHttpProxyAgent({ httpProxy: proxyUrl, httpsProxy: proxyUrl, noProxy }));
  } finally {
    process.emitWarning = emit;
  }
}

/**
 * startProxyBridge on a worker thread of its own (bridge-thread.js), so that it
 * keeps serving while the main thread is blocked. The worker does not keep the
 * process alive. Throws (ERR_ACCESS_DENIED) where workers are not allowed.
 */
export function startProxyBridgeThread(socketPath: string, port = 0): Promise<NetworkBridge> {
  const worker = new Worker(new URL('./bridge-thread.js', import.meta.url), { workerData: { socketPath, port } });
  return new Promise((resolve, reject) => {
    const failed = (err: unknown) => {
      void worker.terminate();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    worker.once('error', failed);
    worker.once('exit', (code) => failed(new Error(`network bridge thread exited with code ${code} before listening`)));
    worker.once('message', (message: { port?: number; error?: string }) => {
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      if (message.port === undefined) return failed(new Error(message.error ?? 'network bridge thread failed'));
      worker.on('error', () => {});
      worker.unref();
      resolve({ port: message.port, mode: 'thread', proxyUrl: `http://127.0.0.1:${message.port}`, close: () => worker.terminate().then(() => undefined) });
    });
  });
}

export interface NetworkBridgeOptions {
  /** The filtering proxy's Unix socket as seen inside the sandbox. */
  socketPath: string;
  /** Hosts that bypass the proxy; DEFAULT_NO_PROXY unless given ('' for none). */
  noProxy?: string;
  /** Listen on a worker thread (default true), falling back to this thread where workers are refused. */
  thread?: boolean;
}

/** All of it, for the runtime to await before user code: bridge, variables, fetch. */
export async function startNetworkBridge(options: NetworkBridgeOptions): Promise<NetworkBridge> {
  const noProxy = options.noProxy ?? DEFAULT_NO_PROXY;
  let bridge: NetworkBridge | undefined;
  if (options.thread !== false) {
    try {
      bridge = await startProxyBridgeThread(options.socketPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_ACCESS_DENIED') throw err;
    }
  }
  bridge ??= await startProxyBridge(options.socketPath);
  setProxyEnv(bridge.proxyUrl, noProxy);
  await routeFetchThroughProxy(bridge.proxyUrl, noProxy);
  return bridge;
}
