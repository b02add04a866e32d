import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { tempDir } from './sidex.js';

export const SIDEX_BIN = fileURLToPath(new URL('../../bin/sidex.js', import.meta.url));

export interface TestServer {
  url: string;
  wsUrl: string;
  apiKey: string;
  dataDir: string;
  projectDir: string;
  root: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** SIGTERM and wait for the exit (SIGKILL after 20 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface ServeOptions {
  /** Extra flags for `sidex serve`. */
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Fills the project directory before the server starts. */
  project?: (projectDir: string) => void;
  /** Set SIDEX_API_KEY (default: a fixed test key); false lets the server generate one. */
  apiKey?: string | false;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Spawns the built `sidex serve` on a free loopback port; it is stopped after the file's tests, even on failure. */
export async function startTestServer(options: ServeOptions = {}): Promise<TestServer> {
  const server = await spawnServer(options);
  afterAll(async () => {
    await server.stop();
    fs.rmSync(server.root, { recursive: true, force: true });
  });
  return server;
}

/** Spawns `sidex serve` without registering cleanup (the caller stops it). */
export async function spawnServer(options: ServeOptions = {}): Promise<TestServer> {
  const root = tempDir('sidex-serve-');
  const dataDir = path.join(root, 'data');
  const projectDir = path.join(root, 'project');
  fs.mkdirSync(projectDir, { recursive: true });
  options.project?.(projectDir);
  const apiKey = options.apiKey === undefined ? 'test-key-0123456789abcdef' : options.apiKey;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined && !k.startsWith('SIDEX_')) env[k] = v;
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  if (apiKey) env.SIDEX_API_KEY = apiKey;
  const child = spawn(
    process.execPath,
    [SIDEX_BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--project', projectDir, '--log-level', 'warn', ...(options.args ?? [])],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => (live.delete(child), resolve(code))));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sidex serve did not start in 20 s:\n${out}\n${err}`)), 20_000);
    const check = () => {
      const match = /^sidex (http:\/\/\S+)/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`sidex serve exited with ${code}:\n${out}\n${err}`)));
  });
  const key = apiKey || /API key \(generated[^)]*\): (\S+)/.exec(out)?.[1] || '';
  let stopping: Promise<number | null> | undefined;
  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/codebolt`,
    apiKey: key,
    dataDir,
    projectDir,
    root,
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
        const code = await exited;
        clearTimeout(kill);
        return code;
      })()),
  };
}

/** Writes an action block into a project's `.codebolt/actionblocks/<name>`. */
export function writeBlock(projectDir: string, name: string, source: string): string {
  const dir = path.join(projectDir, '.codebolt', 'actionblocks', name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'actionblock.yml'), `name: ${name}\ndescription: test block ${name}\nversion: 1.0.0\nentryPoint: index.js\n`);
  fs.writeFileSync(path.join(dir, 'index.js'), source);
  return dir;
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
