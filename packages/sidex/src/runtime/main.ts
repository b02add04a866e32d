// Entry point of every runtime process. It starts warm (idle, waiting for one
// `run` message), runs exactly one execution, reports over IPC and exits.
import path from 'node:path';
import { holdLastPid, namespaceOthers, notePidsBeforeCode, SANDBOXED } from './namespace.js';
import { deferred } from './deferred.js';
import { checkEntrySyntax } from './check-entry-syntax.js';
import { liveChildren } from './children.js';
import { startCommand, type RunningCommand } from './command.js';
import { compileInline, InlineSyntaxError } from './compile-inline.js';
import { ExecutionContext } from './context.js';
import { showInlineFramesAs } from './inline/user-frames.js';
import { loadBlock } from './load-block.js';
import { dieFirstOutOfMemory } from './oom-first.js';
import type { ErrorInfo, RunMessage, SupervisorMessage } from './messages.js';
import { errorInfo, toBoundedJson } from './serialize.js';
import { openStdio, silenceRuntimeWarnings } from './stdio.js';
import { closeStrayFds } from './stray-fds.js';
import { awaitsDrained, awaitsPending, installAwaitHooks, unwind } from './unwind/awaits.js';
import { cpuMicros, endStopped, killOwnGroup, send } from './supervisor-link.js';
import { warmStopPath } from './warm-stop.js';
import { applyUmask } from './umask.js';

closeStrayFds();
holdLastPid();
applyUmask();
// stdout and stderr are files (engine/output/log-files.ts): Node writes them synchronously, so
// process.exit() right after a flood loses nothing.
dieFirstOutOfMemory();
silenceRuntimeWarnings();
openStdio();
installAwaitHooks();

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

let ctx: ExecutionContext | undefined;
/** A command execution's program, once exec'd (command.ts). */
let command: RunningCommand | undefined;
let running = false;
let outcome: Outcome | undefined;
const mainSettled = deferred<void>();
let stopping = false;
let finished = false;
/** Its awaits reject when a stop unwinds it (unwind/): it will settle soon after. */
let unwindable = false;
/** A block that exports no function, imported to the end of its top level: a main that never settles (scriptMode). */
let isScript = false;
const becameScript = deferred<void>();

// Blocks' instrumentation (acorn, magic-string, pirates: ~35 ms of a core to
// load) is loaded once the runtime has idled in the pool a moment, not at
// boot: a burst of inline starts, which drains the pool, never pays it, and
// a block start finds it loaded unless it came within that moment.
const BLOCK_HOOKS_AFTER_IDLE_MS = 100;
let blockHooks: Promise<typeof import('./unwind/block-hooks.js')> | undefined;
let preloadBlockHooks: NodeJS.Timeout | undefined;
const loadBlockHooks = () => (blockHooks ??= import('./unwind/block-hooks.js'));

// How long a block's module graph may take to load before the start is
// answered anyway; load errors within it fail the start, later ones the run.
// (The entry file itself is syntax-checked first, deterministically.)
const BLOCK_LOAD_WINDOW_MS = 25;
/** How long code may take to end after its onStop handlers before their result is sent ahead of the report. */
const PARTIAL_AFTER_MS = 10;

process.on('disconnect', () => (running ? killOwnGroup() : process.exit(0)));
const onSigterm = () => void stop();
process.on('SIGTERM', onSigterm);
process.on('message', (message: SupervisorMessage) => {
  if (message.type === 'run' && !running) void run(message);
  else if (message.type === 'stop') void stop();
  else if (message.type === 'message') ctx?.deliver(JSON.parse(message.json));
  else if (message.type === 'stdin') command?.writeStdin(message.base64, message.close === true);
  else if (message.type === 'warm' && !running) void send({ type: 'warmed' });
});
process.on('uncaughtException', (err) => onUncaught(err));
process.on('unhandledRejection', (reason) => onUncaught(reason));

// Compiled once while idle, so that the first compile's lazy setup of vm is
// not paid by the start that brings real code.
compileInline('return undefined', path.resolve('warm-up.js'), []);
await warmStopPath();
// An allowlisted sandbox has no network but the filtering proxy's socket: its bridge is up before any code runs.
if (process.env.SIDEX_PROXY_SOCKET) {
  const { startNetworkBridge } = await import('./network/sandbox-bridge.js');
  await startNetworkBridge({ socketPath: process.env.SIDEX_PROXY_SOCKET, noProxy: process.env.SIDEX_NO_PROXY ?? '' });
}
// Off the path of a start, and before anything of the user's runs (a block's module runs its top level as it loads).
notePidsBeforeCode();
void send({ type: 'ready' });
preloadBlockHooks = setTimeout(() => void loadBlockHooks().catch(() => {}), BLOCK_HOOKS_AFTER_IDLE_MS);
preloadBlockHooks.unref();

async function run(message: RunMessage): Promise<void> {
  running = true;
  clearTimeout(preloadBlockHooks);
  if (message.source.type === 'command') return runCommand(message, message.source);
  // Source maps are turned on here, not by --enable-source-maps at boot: the
  // user's modules (a block's, rewritten at load by unwind/, and any it
  // imports with maps of their own) get them, and the runtime's own ~40
  // modules are not mapped at every boot (~8 ms of a core a runtime here).
  // A command runs no JavaScript of the user's: it needs none.
  process.setSourceMapsEnabled(true);
  // Runtimes boot in their working directory (chdir is forbidden under the permission model).
  if (process.cwd() !== message.cwd) process.chdir(message.cwd);
  Object.assign(process.env, message.env);
  const params: unknown = JSON.parse(message.paramsJson);
  const resumeFrom: unknown = message.resumeFromJson === undefined ? undefined : JSON.parse(message.resumeFromJson);
  ctx = new ExecutionContext(message.executionId, params, resumeFrom, (kind, json) => void send({ type: kind, json }));
  const api = ctx.api;

  let main: () => unknown;
  if (message.source.type === 'inline') {
    try {
      const keys = params && typeof params === 'object' && !Array.isArray(params) ? Object.keys(params) : [];
      const compiled = compileInline(message.source.code, message.source.filename, keys);
      showInlineFramesAs(message.source.filename, message.source.displayName, message.source.mappings);
      unwindable = message.source.unwindable === true;
      main = () => compiled.run(params, api);
    } catch (err) {
      return failStart(err instanceof InlineSyntaxError ? err.info : errorInfo(err, 'LOAD_ERROR'));
    }
  } else {
    const syntax = await checkEntrySyntax(message.source.entry);
    if (syntax) return failStart(syntax);
    const { instrumentBlockModules } = await loadBlockHooks();
    unwindable = await instrumentBlockModules(message.cwd, message.source.entry);
    const loading = loadBlock(message.source.entry);
    const early = await Promise.race([
      loading.then(
        (fn) => ({ loaded: true as const, fn }),
        (err: unknown) => ({ loaded: false as const, err }),
      ),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), BLOCK_LOAD_WINDOW_MS).unref()),
    ]);
    if (early && !early.loaded) return failStart(loadErrorInfo(early.err));
    main = async () => {
      const fn = await loading;
      // A script entry has already run by being imported; it ends when its
      // event loop empties, so the IPC channel must not keep it alive.
      if (!fn) return scriptMode();
      // A stop that came while the block still loaded: its function is not called.
      if (stopping) return undefined;
      return fn(params, api);
    };
  }

  await send({ type: 'started' });
  let pending: unknown;
  try {
    pending = main();
  } catch (err) {
    pending = Promise.reject(err);
  }
  void Promise.resolve(pending)
    .then(
      (value) => settle({ ok: true, value }),
      (error: unknown) => settle({ ok: false, error }),
    )
    .then(() => mainSettled.resolve());
}

/**
 * The runtime stays the program's parent: it reports the exec, then the
 * program's own exit code or signal. A stop's SIGTERM reaches the program
 * directly (it is in the tree); the runtime only waits for it to end.
 */
async function runCommand(message: RunMessage, source: Extract<RunMessage['source'], { type: 'command' }>): Promise<void> {
  const env = { ...process.env, ...message.env };
  const started = await startCommand(source.argv, message.cwd, env, source.stdin, (bytes) => void send({ type: 'stdinWritten', bytes }));
  if (!started.ok) return failStart(started.error);
  command = started.command;
  await send({ type: 'started' });
  const exit = await command.exited;
  finished = true;
  await send({ type: 'exited', code: exit.code, signal: exit.signal, cpuMicros: cpuMicros() });
  if (stopping) await othersGone();
  process.exit(0);
}

function scriptMode(): Promise<never> {
  process.channel?.unref();
  isScript = true;
  becameScript.resolve();
  return new Promise(() => {});
}

function loadErrorInfo(err: unknown): ErrorInfo {
  return errorInfo(err, err instanceof SyntaxError ? 'SYNTAX_ERROR' : 'LOAD_ERROR');
}

async function failStart(error: ErrorInfo): Promise<void> {
  finished = true;
  await send({ type: 'startFailed', error });
  process.exit(1);
}

function settle(result: Outcome): void {
  outcome = result;
  if (!stopping) void finish(result);
}

async function finish(result: Outcome): Promise<void> {
  if (finished) return;
  finished = true;
  if (result.ok) {
    let json: string | undefined;
    try {
      json = toBoundedJson(result.value, 'result');
    } catch (err) {
      await send({ type: 'failed', error: errorInfo(err), cpuMicros: cpuMicros() });
      process.exit(1);
    }
    await send({ type: 'result', ...(json === undefined ? {} : { json }), cpuMicros: cpuMicros() });
    process.exit(0);
  }
  await send({ type: 'failed', error: errorInfo(result.error), cpuMicros: cpuMicros() });
  process.exit(1);
}

function onUncaught(err: unknown): void {
  // The stop's own AbortError, unhandled where it unwound the code (a script's callbacks): not the code's error.
  if (stopping && ctx && err === ctx.stopReason) return;
  if (!ctx || stopping) {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    if (!ctx) process.exit(1);
    return;
  }
  void finish({ ok: false, error: err });
}

/**
 * The cooperative half of the stop protocol: abort the signal, run the onStop
 * handlers, hand back the partial result, exit. Whatever does not cooperate is
 * the supervisor's to kill when the grace period ends.
 */
async function stop(): Promise<void> {
  if (stopping || finished) return;
  stopping = true;
  // A command's program got the stop's SIGTERM itself: runCommand reports its end.
  if (command) return;
  if (!ctx) process.exit(0);
  const reason = ctx.abort();
  // Code that watches its signal handles the stop itself: it is given the
  // grace period to return its partial result. Code that never looked at it
  // is unwound: every await it is suspended in throws the AbortError, so its
  // finally blocks run. Either is waited for (the supervisor's grace period
  // bounds the wait); code that could not be rewritten is not, nor code
  // suspended in no rewritten await (a block whose function returns a
  // promise of its own making): unwinding could not end it.
  const unwinding = unwindable && !ctx.signalObserved && awaitsPending() > 0;
  if (unwinding) unwind(reason);
  const fromHandlers = await ctx.runStopHandlers();
  const ended = codeEnded(ctx.signalObserved, unwinding);
  if (fromHandlers !== undefined) await keepPartialIfSlow(ended, fromHandlers);
  await ended;
  finished = true;
  let json = fromHandlers;
  if (json === undefined && outcome?.ok) {
    try {
      json = toBoundedJson(outcome.value, 'result');
    } catch {
      json = undefined;
    }
  }
  json ??= ctx.lastCheckpointJson;
  await send({ type: 'stopped', ...(json === undefined ? {} : { json }), cpuMicros: cpuMicros() });
  await othersGone();
  endStopped();
}

/**
 * Code that takes its time to end once its onStop handlers have returned (it
 * cleans up at length, or swallows the AbortError and runs on) may be killed
 * when the grace ends, its report never sent: the handlers' result goes to
 * the engine now, to be kept in that case. Code that ends at once, the usual
 * stop, sends its report alone.
 */
async function keepPartialIfSlow(ended: Promise<void>, json: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const slow = await Promise.race([ended.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), PARTIAL_AFTER_MS)))]);
  clearTimeout(timer);
  if (slow) await send({ type: 'partial', json });
}

/**
 * What a stop waits for before it reports. The code's main function, when
 * the code watches its signal or was unwound (unwound code settles almost at
 * once); unwound, also the cleanup of its other awaits (callbacks, tasks it
 * started), which may await in turn; otherwise a turn of the event loop. A
 * script has no main function once its module has loaded: scriptEnded says
 * when it is done.
 */
async function codeEnded(observed: boolean, unwound: boolean): Promise<void> {
  if (observed || unwound) await Promise.race([mainSettled.promise, becameScript.promise]);
  if (isScript) await scriptEnded();
  else if (unwound) await awaitsDone();
  else if (!observed) await turn();
}

/**
 * A script (every Codebolt-built program is one) has run by being imported.
 * One that listens for SIGTERM itself handles the stop: it has the grace
 * period to end (process.exit, or its event loop emptying). Otherwise, once
 * unwound, its callbacks' cleanup may await in turn: it is done when no
 * rewritten await waits across a turn of the event loop.
 */
async function scriptEnded(): Promise<void> {
  if (process.listeners('SIGTERM').some((listener) => listener !== onSigterm)) return new Promise(() => {});
  await awaitsDone();
}

/** No rewritten await waits across a turn of the event loop (the supervisor's grace bounds the wait). */
async function awaitsDone(): Promise<void> {
  do {
    await awaitsDrained();
    await turn();
  } while (awaitsPending() > 0);
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * In a sandbox this process's exit ends the PID namespace, and the kernel
 * kills whatever else is in it: the other processes of the tree, which got
 * SIGTERM with this one, are waited for so that they too may clean up within
 * the grace period (the supervisor kills them all when it ends). Outside
 * one, its own children are: those with a pipe to it would die of SIGPIPE
 * on their next write once it has ended, their cleanup and output lost.
 * Their last output and exit are then events still to handle (a pipe's
 * data, a child's 'close'): two turns of the event loop.
 */
async function othersGone(): Promise<void> {
  const others = SANDBOXED ? namespaceOthers : liveChildren;
  if (others() === 0) return;
  do await new Promise((resolve) => setTimeout(resolve, 10));
  while (others() > 0);
  await turn();
  await turn();
}
