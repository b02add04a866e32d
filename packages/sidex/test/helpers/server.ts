import { spawn } from 'node:child_process';
import net from 'node:net';
import { afterAll } from 'vitest';
import { live, SIDEX_BIN, spawnServer, stopAndRemove, type ServeOptions, type TestServer } from './spawn-server.js';

export { SIDEX_BIN, spawnServer, stopAndRemove, type ServeOptions, type TestServer };
export { writeBlock } from './write-block.js';

/** Spawns the built `sidex serve` on a free loopback port; it is stopped after the file's tests, even on failure. */
export async function startTestServer(options: ServeOptions = {}): Promise<TestServer> {
  const server = await spawnServer(options);
  afterAll(() => stopAndRemove(server));
  return server;
}

/** fetch with the key (or none). */
export function api(server: TestServer, route: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
  const { key = server.apiKey, headers, ...rest } = init;
  return fetch(`${server.url}${route}`, {
    ...rest,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(rest.body ? { 'content-type': 'application/json' } : {}), ...(headers as Record<string, string>) },
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `sidex` CLI to its end (bounded); SIDEX_* of this process are not passed on. */
export function runCli(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SIDEX_')) env[k] = v;
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SIDEX_BIN, ...args], { env, cwd: options.cwd ?? process.cwd(), stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(options.input ?? '');
  });
}

/** A loopback port free at the moment of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
