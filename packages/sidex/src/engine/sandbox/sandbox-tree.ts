import fs from 'node:fs';
import { HeldProcess } from '../tree/held-process.js';
import { signalPid } from '../tree/proc.js';
import type { TrackedTree } from '../tree/tracked-tree.js';

/**
 * A sandboxed runtime's tree, as the host sees it: bwrap (the root), bwrap's
 * init of the PID namespace, and everything inside. Signals meant for the code
 * must skip the two bwrap processes: a SIGTERM to either ends the namespace at
 * once, and with it every cleanup the stop protocol's grace is for. A kill, on
 * the other hand, goes to the root first: its death takes the namespace's init
 * (parent-death signal) and the kernel then kills everything in it.
 */
export class SandboxTree implements TrackedTree {
  private initPid: number | undefined;
  private runtimeProcess: HeldProcess | undefined;
  /** The namespace's mount table, held open from ready() until release(). */
  private mountsFd: number | undefined;
  /** Nothing is held open once released: a ready() that comes later (a runtime discarded as it warmed) holds nothing. */
  private released = false;

  constructor(private readonly inner: TrackedTree) {}

  get rootPid(): number {
    return this.inner.rootPid;
  }

  get adopted(): Promise<void> {
    return this.inner.adopted;
  }

  members(): number[] {
    return this.inner.members();
  }

  signalAll(signal: NodeJS.Signals, except?: number): void {
    const init = this.init();
    for (const pid of this.members()) if (pid !== this.rootPid && pid !== init && pid !== except) signalPid(pid, signal);
  }

  /**
   * Signals the runtime alone, by its pid on the host (found as it became
   * ready), not through a read of the tree's members: the quickest wake-up a
   * stop can give it. Answers the pid signalled. Once the runtime has ended,
   * init reaps it at once and its pid is free, before the engine hears of
   * bwrap's exit: the pid is signalled only while the process held since
   * then is there (held-process.ts: the read, then the signal).
   */
  signalRuntime(signal: NodeJS.Signals): number | undefined {
    const runtime = this.runtime();
    if (runtime === undefined || !runtime.isThere()) return undefined;
    signalPid(runtime.pid, signal);
    return runtime.pid;
  }

  /**
   * No process leaves a PID namespace, and none in it can move itself out of
   * its cgroups (it has no capability and no cgroup file system): the
   * backend's members are the whole tree, and the search of every process
   * of the machine for escapees (~10 ms on a busy host) is not needed.
   */
  killAll(): void {
    signalPid(this.rootPid, 'SIGKILL');
    const init = this.init();
    if (init !== undefined) signalPid(init, 'SIGKILL');
    this.inner.killMembers();
  }

  killMembers(): void {
    this.killAll();
  }

  watch(onChange: () => void): (() => void) | undefined {
    return this.inner.watch(onChange);
  }

  cpuMicros(): number | undefined {
    return this.inner.cpuMicros();
  }

  /** The runtime answered from inside: what a stop will need of the tree is found now, off its path. */
  ready(): void {
    if (this.released) return;
    this.runtime();
    this.holdMounts();
  }

  /**
   * The last process to leave a mount namespace unmounts everything in it and
   * waits out an RCU grace period: the namespace's init did, as it exited,
   * and every end waited for it (~0.3 ms a stop here, more under load). Held
   * open here, the namespace is torn down by release() instead, once the end
   * has been answered, on the thread pool. Where the namespace cannot be
   * opened, init pays as before.
   */
  private holdMounts(): void {
    const init = this.init();
    if (init === undefined || this.mountsFd !== undefined) return;
    try {
      this.mountsFd = fs.openSync(`/proc/${init}/ns/mnt`, 'r');
    } catch {
      // gone already, or not ours to open
    }
  }

  /** Resolves once the mount namespace is let go too: its last close unmounts it (~0.4 ms here), off the event loop. */
  release(): Promise<void> {
    this.released = true;
    this.inner.release();
    this.runtimeProcess?.close();
    const fd = this.mountsFd;
    this.mountsFd = undefined;
    return fd === undefined ? Promise.resolve() : new Promise((resolve) => fs.close(fd, () => resolve()));
  }

  /** bwrap forks the namespace's init once, at once: its only child. */
  private init(): number | undefined {
    this.initPid ??= firstChild(this.rootPid);
    return this.initPid;
  }

  /** The init forks the runtime once: until the runtime is ready, and code runs, its only child. */
  private runtime(): HeldProcess | undefined {
    const init = this.init();
    if (init === undefined || this.runtimeProcess !== undefined || this.released) return this.runtimeProcess;
    const pid = firstChild(init);
    if (pid !== undefined) this.runtimeProcess = HeldProcess.open(pid);
    return this.runtimeProcess;
  }
}

/** Undefined if it is gone already, or the kernel has no children file: killAll's root kill still ends the tree. */
function firstChild(pid: number): number | undefined {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim();
    return children ? Number(children.split(' ')[0]) : undefined;
  } catch {
    return undefined;
  }
}
