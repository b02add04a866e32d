// One cooperative stop timed, and the baseline it is held against: execa's
// kill of a bare Node child. Shared by the sandbox suite and the stop A/B.
import fs from 'node:fs';
import { execa } from 'execa';
import type { ExecutionEngine } from '../../packages/sidex/dist/engine/execution-engine.js';
import { ms, sleep } from './timing.js';

const COOPERATIVE = "ctx.onStop(() => 'partial'); await new Promise(() => {});";
/** Every execution here ends by itself past this, whatever goes wrong. */
const SAFETY_TIMEOUT_MS = 30_000;

/** Starts code with an onStop handler, stops it: milliseconds from stop() until answered, and whether it ended stopped with the handler's result. */
export async function timeCooperativeStop(engine: Pick<ExecutionEngine, 'start' | 'stop'>): Promise<{ ms: number; partial: boolean }> {
  const started = await engine.start({ prefix: 'side', kind: 'inline', name: 'bench', code: COOPERATIVE, timeoutMs: SAFETY_TIMEOUT_MS });
  if (started.status !== 'running') throw new Error(`start answered ${started.status}`);
  // Past the body's first await: the onStop handler is in place.
  await sleep(20);
  const began = process.hrtime.bigint();
  const { record } = await engine.stop(started.id);
  return { ms: ms(began), partial: record.status === 'stopped' && record.result === 'partial' };
}

/**
 * execa's kill() of a bare child, until its exit is seen. The child is ready
 * once its main thread sleeps in epoll_wait: Node has booted and its event
 * loop runs (about 120 ms here). Bounded: after 5 s it is killed as it is.
 */
export async function execaKill(): Promise<number> {
  const child = execa('node', ['-e', 'setInterval(()=>{},1000)'], { reject: false });
  await new Promise<void>((resolve) => child.once('spawn', () => resolve()));
  const end = Date.now() + 5000;
  while (Date.now() < end && wchan(child.pid!) !== 'do_epoll_wait') await sleep(2);
  const began = process.hrtime.bigint();
  child.kill();
  await child;
  return ms(began);
}

function wchan(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/wchan`, 'latin1');
  } catch {
    return '';
  }
}
