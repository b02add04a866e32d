// Spawning a real `sidex serve` (no test-runner imports: the benchmarks use it too).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The `sidex` command is the CLI package's (packages/cli/bin/sidex.js).
export const SIDEX_BIN = fileURLToPath(new URL('../../../cli/bin/sidex.js', import.meta.url));

const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

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
  /** A project directory of the caller's (kept at close), instead of a fresh one. */
  projectDir?: string;
  /** Set SIDEX_API_KEY (default: a fixed test key); false lets the server generate one. */
  apiKey?: string | false;
  /** The server inherits a socket at this descriptor, as from a parent's pipe; `child.stdio[fd]` is the other end. */
  inheritedFd?: number;
  /** Runs the server as this user (the caller must be root); its directories are given to it, and HOME is its root. */
  user?: User;
  /** Runs the server as root of a user namespace of its own with this uid and gid map (`inside outside count` lines), as a rootless container would (the caller must be root). */
  userNamespaceMap?: string;
}

export interface User {
  uid: number;
  gid: number;
}

/** Stops the server (SIGTERM, waiting for its exit) and removes its directories. */
export async function stopAndRemove(server: TestServer): Promise<void> {
  await server.stop();
  fs.rmSync(server.root, { recursive: true, force: true });
}

/** Processes this module started, killed if the test process exits without stopping them. */
export const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A `sidex` process of a test: its output collected, stopped once. */
export interface SidexProcess {
  child: ChildProcess;
  exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  stop(): Promise<number | null>;
}

/**
 * Spawns `sidex <args>` in `cwd`, with this process's environment minus its
 * SIDEX_* variables, plus `env`. Resolves once its stdout matches `ready`
 * (with the match); rejects if it exits first or 20 s pass.
 */
export async function spawnSidex(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; ready: RegExp; what: string; inheritedFd?: number | undefined; user?: User | undefined; userNamespaceMap?: string | undefined },
): Promise<SidexProcess & { ready: RegExpExecArray }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SIDEX_')) env[k] = v;
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  const extra = options.inheritedFd === undefined ? [] : [...Array<'ignore'>(options.inheritedFd - 3).fill('ignore'), 'pipe' as const];
  const map = options.userNamespaceMap;
  // unshare makes the namespace and execs sh, which waits for its map (written from here) before it execs sidex.
  const command = map === undefined ? [process.execPath, SIDEX_BIN, ...args] : ['unshare', '--user', '--', 'sh', '-c', 'read go; exec "$@"', 'sh', process.execPath, SIDEX_BIN, ...args];
  const child = spawn(command[0]!, command.slice(1), { cwd: options.cwd, env, stdio: [map === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', ...extra], ...options.user });
  live.add(child);
  if (map !== undefined) {
    await mapUserNamespace(child, map).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
  }
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => (live.delete(child), resolve(code))));
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    // One that never says it is ready is killed here: nothing else would stop it, and it would outlive the run.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${options.what} did not start in 20 s:\n${out}\n${err}`));
    }, 20_000);
    const check = () => {
      const match = options.ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`${options.what} exited with ${code}:\n${out}\n${err}`)));
  });
  return { child, exited, ready, stdout: () => out, stderr: () => err, stop: stopOnce(child, exited) };
}

/** Writes the map of the user namespace `child` made, once it has made it, and lets it go on. */
async function mapUserNamespace(child: ChildProcess, map: string): Promise<void> {
  const ours = fs.readlinkSync('/proc/self/ns/user');
  const end = Date.now() + 5000;
  while (fs.readlinkSync(`/proc/${child.pid}/ns/user`) === ours) {
    if (Date.now() > end) throw new Error('unshare made no user namespace in 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  for (const file of ['uid_map', 'gid_map']) fs.writeFileSync(`/proc/${child.pid}/${file}`, map);
  child.stdin!.write('go\n');
}

/** Spawns `sidex serve` without registering cleanup (the caller stops it). */
export async function spawnServer(options: ServeOptions = {}): Promise<TestServer> {
  const root = tempDir('sidex-serve-');
  const dataDir = path.join(root, 'data');
  const projectDir = options.projectDir ?? path.join(root, 'project');
  fs.mkdirSync(projectDir, { recursive: true });
  options.project?.(projectDir);
  const apiKey = options.apiKey === undefined ? 'test-key-0123456789abcdef' : options.apiKey;
  const { user } = options;
  if (user) for (const dir of [root, projectDir]) chownTree(dir, user);
  const server = await spawnSidex(['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--project', projectDir, '--log-level', 'warn', ...(options.args ?? [])], {
    cwd: root,
    env: { ...options.env, ...(apiKey ? { SIDEX_API_KEY: apiKey } : {}), ...(user ? { HOME: root } : {}) },
    ready: /^sidex (http:\/\/\S+)/m,
    what: 'sidex serve',
    inheritedFd: options.inheritedFd,
    user,
    userNamespaceMap: options.userNamespaceMap,
  });
  const url = server.ready[1]!;
  const key = apiKey || /API key \(generated[^)]*\): (\S+)/.exec(server.stdout())?.[1] || '';
  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/codebolt`,
    apiKey: key,
    dataDir,
    projectDir,
    root,
    child: server.child,
    exited: server.exited,
    stdout: server.stdout,
    stderr: server.stderr,
    stop: server.stop,
  };
}

function chownTree(dir: string, user: User): void {
  fs.chownSync(dir, user.uid, user.gid);
  for (const entry of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) fs.lchownSync(path.join(dir, entry), user.uid, user.gid);
}

/** SIGTERM and wait for the exit (SIGKILL after 20 s); one stop however often it is called. */
export function stopOnce(child: ChildProcess, exited: Promise<number | null>): () => Promise<number | null> {
  let stopping: Promise<number | null> | undefined;
  return () =>
    (stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(kill);
      return code;
    })());
}

