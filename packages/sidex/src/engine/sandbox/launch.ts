// The command line a sandboxed runtime is spawned with:
//   sh (joins the execution's cgroups, so nothing can fork before it is counted)
//   -> prlimit (the file size limit: no file the tree writes, its output included, grows past it)
//   -> bwrap (namespaces, mounts, dies with the server)
//   -> setpriv (root servers only: the dedicated uid, no capabilities at all)
//   -> node runtime
// Each step execs the next: one process, spawned when the warm runtime is, so
// a start still costs one IPC message.
import { mountArgs, type MountPlan } from './mount-plan.js';
import type { Isolation } from './isolation.js';

/** `all`: the host's network; `none`: loopback only; `{allow}`: loopback and the listed hosts through the filtering proxy. */
export type SandboxNetwork = 'all' | 'none' | { allow: string[] };

/** Where the filtering proxy's socket directory is bound inside (runtime/network reads SIDEX_PROXY_SOCKET). */
export const PROXY_DIR_INSIDE = '/run/sidex-net';

/** The descriptor bwrap reads the seccomp filter from: the one after the runtime's channel (runtime-process.ts). */
export const SYSCALL_FILTER_FD = 4;

export interface SandboxSpec {
  isolation: Isolation;
  mounts: MountPlan;
  /** Working directory inside (it exists there: scratch or a bound block directory). */
  cwd: string;
  network: SandboxNetwork;
  /** cgroup.procs files the process writes its pid into before bwrap runs. */
  joinFiles: string[];
  /** Host directory holding the filtering proxy's socket, for an allowlisted network. */
  proxyDir?: string;
  fileSizeLimit?: FileSizeLimit;
  /** The seccomp filter is given at SYSCALL_FILTER_FD (syscall-filter.ts). */
  syscallFilter?: boolean;
  /** A root server's: the host uid and gid setpriv switches to, and the /etc/passwd that names the uid when the host's does not. */
  switchTo?: { uid: number; gid: number; passwdFile?: string };
}

export interface FileSizeLimit {
  /** util-linux prlimit. */
  prlimit: string;
  /** RLIMIT_FSIZE, soft and hard alike. */
  bytes: number;
}

/** Joins each cgroup named before "--", then execs the rest; exit 126 when a join fails, so nothing runs untracked. */
const JOIN_SCRIPT = 'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 126; shift; done; shift; exec "$@"';

/**
 * What every runtime's launch does before `command`, sandboxed or not: joins
 * its cgroups, then sets the file size limit. The hard limit equals the soft
 * one, so nothing in the tree can raise it back. Core dumps are off: the
 * limit's signal, SIGXFSZ, would otherwise dump one.
 */
export function launchCommand(steps: { joinFiles: string[]; fileSizeLimit?: FileSizeLimit | undefined }, command: string[]): { file: string; args: string[] } {
  const limit = steps.fileSizeLimit;
  const limited = limit ? [limit.prlimit, `--fsize=${limit.bytes}:${limit.bytes}`, '--core=0:0', '--', ...command] : command;
  const full = steps.joinFiles.length > 0 ? ['/bin/sh', '-c', JOIN_SCRIPT, 'sidex-launch', ...steps.joinFiles, '--', ...limited] : limited;
  return { file: full[0]!, args: full.slice(1) };
}

export function sandboxedCommand(spec: SandboxSpec, command: string[]): { file: string; args: string[] } {
  const { isolation } = spec;
  if (!isolation.bwrap) throw new Error('sandboxedCommand needs the sandbox isolation');
  const { switchTo } = spec;
  // Without it a root server's bwrap (no user namespace) would run the code as root.
  if (isolation.user?.switchTo && !switchTo) throw new Error("a root server's sandbox needs the uid it switches to");
  const bwrap = [
    isolation.bwrap,
    // A root server's bwrap needs no user namespace (setpriv drops to the sandbox uid inside);
    // any other server's is unprivileged and needs one.
    ...(switchTo ? [] : ['--unshare-user', '--cap-drop', 'ALL']),
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(spec.network === 'all' ? [] : ['--unshare-net']),
    '--die-with-parent',
    // No controlling terminal to inject keystrokes into (TIOCSTI), and a group of its own.
    '--new-session',
    '--hostname',
    'sidex',
    ...mountArgs(spec.mounts),
    ...(spec.proxyDir ? ['--ro-bind', spec.proxyDir, PROXY_DIR_INSIDE] : []),
    ...(switchTo?.passwdFile ? ['--ro-bind', switchTo.passwdFile, '/etc/passwd'] : []),
    ...(spec.syscallFilter ? ['--seccomp', String(SYSCALL_FILTER_FD)] : []),
    '--chdir',
    spec.cwd,
    '--',
    ...(switchTo
      ? ['setpriv', `--reuid=${switchTo.uid}`, `--regid=${switchTo.gid}`, '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', '--']
      : []),
    ...command,
  ];
  return launchCommand(spec, bwrap);
}
