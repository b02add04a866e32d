// Attacks run from inside an execution against the server that runs it, and
// what finds their traces on the host. No test-runner imports: the
// reliability suite's isolation part runs the same attacks.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Reply, SidexClient, StartFields, StartOptions, StatusFields } from '@sidex/client';

export { guardianOf } from '../fixtures/host-process.js';

/** Secrets to put in a server's environment; each holds `secret`, which is what the attacks look for. */
export function serverSecrets(): { secret: string; env: { SIDEX_API_KEY: string; DATABASE_URL: string; AWS_SECRET_ACCESS_KEY: string } } {
  const secret = `s3cret-${randomUUID()}`;
  return { secret, env: { SIDEX_API_KEY: `key-${secret}`, DATABASE_URL: `postgres://app:${secret}@127.0.0.1/db`, AWS_SECRET_ACCESS_KEY: secret } };
}

/** Params: `secret`. Answers the files that held it, how many it could read, and whether its own environment does. */
export const READ_EVERY_ENVIRON = `
  const fs = require('node:fs');
  const found = [];
  let read = 0;
  const places = ['/proc/' + process.ppid + '/environ', '/proc/1/environ'];
  for (const name of fs.readdirSync('/proc')) if (/^\\d+$/.test(name)) places.push('/proc/' + name + '/environ', '/proc/' + name + '/cmdline');
  for (const file of places) {
    try { const text = fs.readFileSync(file, 'latin1'); read++; if (text.includes(secret)) found.push(file); } catch {}
  }
  return { found, read, envHasSecret: JSON.stringify(process.env).includes(secret) };`;

/** Params: `serverPid`, `guardianPid` (host pids). SIGSTOP then SIGKILL at them, its parent, pid 1 and every pid it sees; answers each try's outcome ('sent' or the error code) by "pid signal". */
export const SIGNAL_EVERY_PID = `
  const tried = {};
  const targets = [process.ppid, 1, serverPid, guardianPid];
  for (const name of require('node:fs').readdirSync('/proc')) if (/^\\d+$/.test(name) && Number(name) !== process.pid) targets.push(Number(name));
  for (const pid of targets) for (const signal of ['SIGSTOP', 'SIGKILL']) {
    try { process.kill(pid, signal); tried[pid + ' ' + signal] = 'sent'; } catch (e) { tried[pid + ' ' + signal] = e.code; }
  }
  return tried;`;

/** Every process it may signal, from a shell: stopped, then killed, then its own group killed. */
export const KILL_MINUS_ONE = `require('node:child_process').spawnSync('sh', ['-c', 'kill -STOP -1; kill -KILL -1; kill -KILL 0'], { stdio: 'ignore' }); return 'survived';`;

/** Writes a file in its scratch directory, prints that directory, then waits: what the data attack targets. */
export const VICTIM = `require('node:fs').writeFileSync('mine.txt', 'private'); console.log(process.cwd()); await new Promise(() => {});`;

/**
 * Params: `targets` (name to file), `dataDir`, `mark` (strings). Reads each
 * target and appends the mark's parts joined, tries to replace the key file
 * and to list the data directory; answers each outcome ('read', 'written' or
 * the error code). The mark comes in parts because the server records the
 * params in its database: joined, it is found there only if written.
 */
export const DATA_DIR_ATTACK = `
  const fs = require('node:fs');
  const path = require('node:path');
  const out = {};
  for (const [name, file] of Object.entries(targets)) {
    try { fs.readFileSync(file); out['read ' + name] = 'read'; } catch (e) { out['read ' + name] = e.code; }
    try { fs.appendFileSync(file, mark.join('')); out['write ' + name] = 'written'; } catch (e) { out['write ' + name] = e.code; }
  }
  try { fs.writeFileSync(path.join(dataDir, 'api-key'), 'attacker-key-0123456789'); out.replaceKey = 'written'; } catch (e) { out.replaceKey = e.code; }
  try { out.listData = fs.readdirSync(dataDir); } catch (e) { out.listData = e.code; }
  return out;`;

/** The record of an execution `client` started, once it has ended; a refused start or wait throws. */
export async function endOf(client: SidexClient, started: Reply<StartFields>): Promise<StatusFields> {
  if (!started.success) throw new Error(started.error);
  const done = await client.wait(started.sideExecutionId);
  if (!done.success) throw new Error(done.error);
  return done.data;
}

/** Runs code to its end through `client`; answers its record. */
export const runToEnd = async (client: SidexClient, code: string, params: Record<string, unknown> = {}, options: StartOptions = {}, timeout?: number) =>
  endOf(client, await client.sideExecution.startWithCode(code, params, timeout, options));

/** Starts VICTIM; answers its id and scratch directory once it has printed it (bounded: 10 s). */
export async function startVictim(client: SidexClient): Promise<{ id: string; scratch: string }> {
  const started = await client.sideExecution.startWithCode(VICTIM);
  if (!started.success) throw new Error(started.error);
  const end = Date.now() + 10_000;
  for (;;) {
    const status = await client.sideExecution.getStatus(started.sideExecutionId);
    const scratch = status.success ? status.output.trim() : '';
    if (scratch) return { id: started.sideExecutionId, scratch };
    if (Date.now() > end) throw new Error('the victim never printed its scratch directory');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The files DATA_DIR_ATTACK goes for: the key file, the database, the victim's scratch file and its log. */
export function dataTargets(dataDir: string, victim: { id: string; scratch: string }) {
  return {
    keyFile: path.join(dataDir, 'api-key'),
    database: path.join(dataDir, 'sidex.db'),
    otherScratch: path.join(victim.scratch, 'mine.txt'),
    otherLog: path.join(dataDir, 'logs', `${victim.id}.out`),
  };
}

/**
 * A grandchild that clears its environment (the marker), leaves the session
 * and its parent, moves itself into the root cgroup of every hierarchy and
 * loops; `token` is in its command line. Prints 'ready', then waits.
 */
export const escapee = (token: string) => `
  require('node:child_process').spawn('sh', ['-c', ${JSON.stringify(
    `env -i /usr/bin/setsid /bin/sh -c 'for f in /sys/fs/cgroup/cgroup.procs /sys/fs/cgroup/*/cgroup.procs; do echo $$ > $f 2>/dev/null; done; while :; do sleep 1; done' ${'$'}0 &`,
  )}, ${JSON.stringify(token)}], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  console.log('ready');
  await new Promise(() => {});`;

/** Trees for the server-and-guardian kill: a busy loop or awaiting code, each with a setsid grandchild trapping TERM and named by `token`. */
export function setsidTrees(token: string): [busy: string, awaiting: string] {
  const grandchild = `require('node:child_process').spawn('setsid', ['sh', '-c', 'trap "" TERM; while :; do sleep 1; done', ${JSON.stringify(token)}], { stdio: 'ignore', detached: true });`;
  return [`${grandchild} console.log('ready'); for (;;) {}`, `${grandchild} console.log('ready'); await new Promise(() => {});`];
}

/**
 * Defines `writeChannelLine(text)`: the code writes a line to its runtime's
 * channel to the server itself, all of it. The socket is non-blocking: one
 * write of a long line takes only what its buffer holds, and EAGAIN says to
 * wait for the server to read.
 */
export const WRITE_CHANNEL_LINE = `const writeChannelLine = async (text) => {
  let rest = Buffer.from(text + '\\n');
  while (rest.length > 0) {
    try { rest = rest.subarray(require('node:fs').writeSync(process.channel.fd, rest)); }
    catch (e) { if (e.code !== 'EAGAIN') throw e; await new Promise((r) => setTimeout(r, 1)); }
  }
};`;

/**
 * A python3 program for the user keyring (keyctl; Node has no binding):
 * `put <name>` adds a key to it; `take <name>` prints `found` and unlinks it,
 * or prints `absent`. A call the kernel refuses prints `refused <errno name>`.
 * Whether a key found can also be read depends on the session keyring the
 * server inherited, so only finding it is asked. Syscall numbers of x86_64
 * and aarch64.
 */
/**
 * Python: `take` makes inotify instances until the kernel refuses one (the
 * count per uid, max_user_instances), prints how many it holds and keeps
 * them; `one` makes a single instance. Each prints `refused <errno>` when the
 * kernel says no.
 */
export const INOTIFY_PROBE = `
import ctypes, errno, sys, time
libc = ctypes.CDLL(None, use_errno=True)
if sys.argv[1] == 'one':
    print('made' if libc.inotify_init() >= 0 else 'refused ' + errno.errorcode.get(ctypes.get_errno(), '?'), flush=True)
    sys.exit(0)
held = []
while len(held) < 100000:
    fd = libc.inotify_init()
    if fd < 0: break
    held.append(fd)
print('held %d, then refused %s' % (len(held), errno.errorcode.get(ctypes.get_errno(), '?')), flush=True)
time.sleep(120)
`;

/**
 * One execution takes every inotify instance its uid may have and keeps
 * them (INOTIFY_PROBE); a second, started while it holds them, makes one.
 * Answers what each said; the first is stopped before this returns.
 */
export async function inotifyNextDoor(client: SidexClient): Promise<{ held: string; next: string }> {
  const hog = await client.sideExecution.startWithCode(
    "require('node:child_process').spawn('/usr/bin/python3', ['-c', probe, 'take'], { stdio: 'inherit' }); await new Promise(() => {});",
    { probe: INOTIFY_PROBE },
  );
  if (!hog.success) throw new Error(hog.error);
  try {
    let held = '';
    const end = Date.now() + 10_000;
    while (!held.includes('held') && Date.now() < end) {
      const status = await client.sideExecution.getStatus(hog.sideExecutionId);
      held = status.success ? status.output.trim() : '';
      if (!held.includes('held')) await new Promise((r) => setTimeout(r, 20));
    }
    const next = await runToEnd(client, "return require('node:child_process').execFileSync('/usr/bin/python3', ['-c', probe, 'one']).toString().trim()", { probe: INOTIFY_PROBE });
    return { held: held || 'never said', next: String(next.result) };
  } finally {
    await client.sideExecution.stop(hog.sideExecutionId, { graceMs: 0 });
  }
}

export const KEYRING_PROBE = `
import ctypes, errno, os, sys
add_key, keyctl = {'x86_64': (248, 250), 'aarch64': (217, 219)}[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
USER_KEYRING, UNLINK, SEARCH = -4, 9, 10
name = sys.argv[2].encode()
def refused():
    code = ctypes.get_errno()
    return code not in (0, errno.ENOKEY) and 'refused ' + errno.errorcode.get(code, str(code))
if sys.argv[1] == 'put':
    print('put' if libc.syscall(add_key, b'user', name, b'left behind', 11, USER_KEYRING) > 0 else refused() or 'failed')
else:
    key = libc.syscall(keyctl, SEARCH, USER_KEYRING, b'user', name, 0)
    print('found' if key > 0 else refused() or 'absent')
    if key > 0: libc.syscall(keyctl, UNLINK, key, USER_KEYRING)
`;

/** Params: `url`. Answers the body, or 'failed: <code>'. */
export const DIAL = `try { const res = await fetch(url); return await res.text(); } catch (e) { return 'failed: ' + (e.cause?.code ?? e.message); }`;

/** Alive and not a zombie. */
export function pidAlive(pid: number): boolean {
  const state = stateOf(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** The state letter of /proc/<pid>/stat (R, S, T...), undefined when it is gone. */
export function stateOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Live host processes (this one aside) whose command line holds `token`. */
export function withToken(token: string): number[] {
  return liveCommandLines()
    .filter(({ cmdline }) => cmdline.includes(token))
    .map(({ pid }) => pid);
}

/**
 * One token per tree, `<token>-<i>-`: none is part of another, and
 * withToken(token) still finds every tree's processes. Counting processes
 * instead would count a grandchild twice while `setsid` forks it, so a count
 * can reach the number of trees before every tree has one.
 */
export function treeTokens(token: string, trees: number): string[] {
  return Array.from({ length: trees }, (_, i) => `${token}-${i}-`);
}

/** How many of `tokens` some live host process's command line holds: one look at /proc. */
export function tokensAlive(tokens: readonly string[]): number {
  const lines = liveCommandLines().map(({ cmdline }) => cmdline);
  return tokens.filter((token) => lines.some((line) => line.includes(token))).length;
}

function liveCommandLines(): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (pidAlive(pid)) found.push({ pid, cmdline });
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
