import { spawn, type ChildProcess } from 'node:child_process';
import fsSync from 'node:fs';
import type { Socket } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { SYSCALL_FILTER_FD } from '../sandbox/launch.js';
import { SandboxTree } from '../sandbox/sandbox-tree.js';
import type { SupervisorMessage } from '../../runtime/messages.js';
import type { LimitGroup } from '../limits/cgroup-limits.js';
import { OutputCapture } from '../output/capture.js';
import { openStdioFiles } from '../output/log-files.js';
import { removePath } from './remove-path.js';
import { channelEnv, RuntimeChannel } from './runtime-channel.js';
import { checkRuntimeMessage, type CheckedMessage } from './runtime-messages.js';
import { strayFdsEnv } from './stray-fds.js';
import type { TrackedTree, TreeTracker } from '../tree/tracked-tree.js';

/** The runtime's message channel: the fd after stdin, stdout and stderr, as Node's 'ipc' would have it. */
const CHANNEL_FD = 3;

export const runtimeMain = fileURLToPath(new URL('../../runtime/main.js', import.meta.url));

export interface SpawnOptions {
  env: Record<string, string>;
  /** The program and its arguments: node with the runtime, or the sandbox's launch of it. */
  file: string;
  args: string[];
  /** Host working directory of the spawned program. */
  cwd: string;
  /** Runs in a sandbox: its root is bwrap, whose exit status stands for the runtime's. */
  sandboxed: boolean;
  /** The process joins its cgroups itself before anything forks (the sandbox's launch). */
  joinsItself: boolean;
  /** What of the server's lives exactly as long as this runtime (its network proxy, its sandbox uid). */
  companions?: Companion[];
  /** This runtime's own scratch directory, removed when it is done. */
  scratchDir: string;
  /** Path and name without extension of the files its stdout and stderr are written to. */
  outputBase: string;
  marker: string;
  tracker: TreeTracker;
  /** Its limit cgroups, which it joins by itself. */
  limits?: LimitGroup;
  /** RLIMIT_FSIZE its tree was born with; absent: none. */
  fileSizeLimit?: number;
  /** util-linux prlimit, to change that limit at claim. */
  prlimit?: string;
  /** An open descriptor of the sandbox's seccomp filter, given to bwrap at SYSCALL_FILTER_FD; closed here once spawned. */
  syscallFilterFd?: number;
}

export interface Companion {
  /** The runtime is ready only once this is. */
  ready: Promise<void>;
  /**
   * Once no process of the runtime is left, before its end is answered: what
   * a start that follows must find free (a sandbox uid). Synchronous and cheap.
   */
  giveBack?(): void;
  close(): Promise<void>;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One runtime child: spawned idle, used for exactly one execution. */
export class RuntimeProcess {
  readonly child: ChildProcess;
  readonly tree: TrackedTree;
  readonly marker: string;
  readonly scratchDir: string;
  /** Follows its stdout and stderr files (log-files.ts), for the execution that claims them. */
  readonly output: OutputCapture;
  readonly ready: Promise<void>;
  readonly exited: Promise<ExitInfo>;
  /** Resolves when the IPC channel has closed: every message sent before exit has arrived. */
  readonly disconnected: Promise<void>;
  private readonly channel: RuntimeChannel | undefined;
  exit: ExitInfo | undefined;
  readonly limits: LimitGroup | undefined;
  /** RLIMIT_FSIZE of its tree now; undefined: none. */
  fileSizeLimit: number | undefined;
  private readonly prlimit: string | undefined;
  private listener: ((message: CheckedMessage) => void) | undefined;
  private warmed: (() => void) | undefined;
  private readonly companions: Companion[];
  /** Its tree, when it runs in a sandbox. */
  private readonly sandbox: SandboxTree | undefined;

  constructor(options: SpawnOptions) {
    this.marker = options.marker;
    this.scratchDir = options.scratchDir;
    this.limits = options.limits;
    this.fileSizeLimit = options.fileSizeLimit;
    this.prlimit = options.prlimit;
    const filterFd = options.syscallFilterFd;
    let output: OutputCapture | undefined;
    let fds: { stdout: number; stderr: number } | undefined;
    try {
      const stdio = openStdioFiles(options.outputBase);
      fds = stdio.fds;
      // Opened and watched now, off the path of a start: see OutputCapture.
      this.output = output = new OutputCapture(stdio.files);
      this.child = spawn(options.file, options.args, {
        cwd: options.cwd,
        // bwrap closes the filter's descriptor once read: a stray one of that number must not be closed again inside.
        env: { ...options.env, ...channelEnv(CHANNEL_FD), ...strayFdsEnv(filterFd === undefined ? CHANNEL_FD : SYSCALL_FILTER_FD) },
        // Its own process group, so a signal to the group reaches the whole tree.
        detached: true,
        // A socket, read by RuntimeChannel rather than Node's 'ipc', which a runtime's code could crash.
        stdio: ['ignore', fds.stdout, fds.stderr, 'pipe', ...(filterFd === undefined ? [] : [filterFd])],
      });
    } catch (err) {
      output?.close();
      throw err;
    } finally {
      // The child has its own copies: ours would only keep the files open.
      for (const fd of [fds?.stdout, fds?.stderr, filterFd]) if (fd !== undefined) fsSync.closeSync(fd);
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve((this.exit = options.sandboxed ? sandboxExit(code, signal) : { code, signal })));
      this.child.once('error', () => resolve((this.exit ??= { code: null, signal: null })));
    });
    const socket = this.child.stdio[CHANNEL_FD] as Socket | null | undefined;
    this.channel = socket ? new RuntimeChannel(socket, { message: (raw) => this.onRaw(raw), oversize: (bytes) => this.listener?.({ type: 'oversize', bytes }), tooDeep: () => this.listener?.({ type: 'tooDeep' }) }) : undefined;
    this.disconnected = new Promise((resolve) => {
      if (!this.channel) return resolve();
      void this.channel.closed.then(resolve);
      void this.exited.then(() => setTimeout(resolve, 1000).unref());
    });
    let sandbox: SandboxTree | undefined;
    if (this.child.pid === undefined) {
      // spawn failed synchronously (EAGAIN, ENOMEM): 'error' follows.
      this.tree = nullTree;
    } else {
      try {
        const tree = options.tracker.adopt(this.child.pid, options.marker, { joined: options.joinsItself });
        sandbox = options.sandboxed ? new SandboxTree(tree) : undefined;
        this.tree = sandbox ?? tree;
      } catch (err) {
        this.child.kill('SIGKILL');
        throw err;
      }
    }
    const handshake = new Promise<void>((resolve, reject) => {
      let warmed = false;
      this.warmed = () => {
        warmed = true;
        resolve();
      };
      // Only then: an Error captures a stack, ~30 µs cold on the path of every end.
      void this.exited.then((info) => {
        if (!warmed) reject(new Error(`runtime process exited before it was ready (code ${info.code}, signal ${info.signal})`));
      });
    });
    handshake.catch(() => {});
    this.sandbox = sandbox;
    this.companions = options.companions ?? [];
    // The runtime answered from inside: its namespaces are all there.
    this.ready = Promise.all([handshake, this.tree.adopted, ...this.companions.map((c) => c.ready)]).then(() => sandbox?.ready());
    this.ready.catch(() => {});
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  onMessage(listener: (message: CheckedMessage) => void): void {
    this.listener = listener;
  }

  send(message: SupervisorMessage): void {
    this.channel?.send(message);
  }

  /**
   * The cooperative half of a stop: SIGTERM first, the quickest way to wake
   * the runtime (a system call, where the message costs a serialization and
   * a stream write first), then the stop message; it heeds whichever comes
   * first. Answers the pid signalled, which the SIGTERM to the rest of the
   * tree then passes over.
   */
  askToStop(): number | undefined {
    if (this.exit !== undefined) return undefined;
    const signalled = this.sandbox ? this.sandbox.signalRuntime('SIGTERM') : this.child.kill('SIGTERM') ? this.child.pid : undefined;
    this.send({ type: 'stop' });
    return signalled;
  }

  private onRaw(raw: unknown): void {
    const message = checkRuntimeMessage(raw);
    if (!message) return;
    // Ready once the channel has carried a message each way: see WarmMessage.
    if (message.type === 'ready') this.send({ type: 'warm' });
    else if (message.type === 'warmed') this.warmed?.();
    else this.listener?.(message);
  }

  /**
   * Sets RLIMIT_FSIZE (soft and hard) on every process of the idle tree.
   * Called before its execution's code runs: no process is missed, since
   * only the runtime and, sandboxed, bwrap's two exist, and what they fork
   * later inherits it. About 4 ms a process here, against ~100 ms for
   * booting a runtime with the limit from the start.
   */
  async setFileSizeLimit(bytes: number | undefined): Promise<void> {
    if (bytes === this.fileSizeLimit) return;
    if (!this.prlimit) throw new Error('cannot change the file size limit without prlimit');
    const value = bytes === undefined ? 'unlimited' : String(bytes);
    const prlimit = this.prlimit;
    await Promise.all(this.tree.members().map((pid) => setRlimit(prlimit, pid, `--fsize=${value}:${value}`)));
    this.fileSizeLimit = bytes;
  }

  /** Kill an idle runtime that never ran anything; resolves once it has let go of what it held. */
  discard(): Promise<void> {
    this.tree.killAll();
    return this.exited.then(() => this.letGo());
  }

  /** Its tree is gone: what a start that follows needs goes back now (the rest goes with letGo, after the answer). */
  giveBack(): void {
    for (const companion of this.companions) companion.giveBack?.();
  }

  /**
   * Once its tree is gone and its counters read, everything it held goes: its
   * scratch directory and unclaimed output files, its companions (network
   * proxy, sandbox uid), its cgroups and, sandboxed, its mount namespace.
   * Nothing outside the engine sees them, so the end of an execution is
   * answered before this runs.
   */
  async letGo(): Promise<void> {
    this.output.close();
    this.channel?.close();
    await Promise.all(this.companions.map((c) => c.close()));
    await Promise.all([this.scratchDir, this.output.files.stdout, this.output.files.stderr, this.output.files.index].map(removePath));
    const tree = this.tree.release();
    this.limits?.release();
    await tree;
  }
}

/** bwrap exits 128 + N when the runtime died of signal N: report it as that signal, as an unsandboxed runtime's would be. */
function sandboxExit(code: number | null, signal: NodeJS.Signals | null): ExitInfo {
  if (code === null || code <= 128 || code > 128 + 64) return { code, signal };
  const name = Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0] as NodeJS.Signals | undefined;
  return name ? { code: null, signal: name } : { code, signal };
}

function setRlimit(prlimit: string, pid: number, arg: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(prlimit, ['--pid', String(pid), arg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      // A member that exited in the meantime needs no limit.
      if (code === 0 || !fsSync.existsSync(`/proc/${pid}`)) resolve();
      else reject(new Error(`prlimit ${arg} on pid ${pid} failed: ${stderr.trim() || `exit ${code}`}`));
    });
  });
}

const nullTree: TrackedTree = {
  rootPid: 0,
  adopted: Promise.resolve(),
  members: () => [],
  signalAll: () => {},
  killAll: () => {},
  killMembers: () => {},
  watch: () => undefined,
  cpuMicros: () => undefined,
  release: () => {},
};
