// Ctrl-C at a CLI that follows an execution, as a terminal's user presses it.
import type { ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { eventually } from './sidex.js';

/**
 * Once the execution printed `ready`, a first SIGINT must begin a graceful
 * stop (its code prints `stopping`) and a second must force it: the CLI
 * exits 130 well within the 60 s grace the test gave. The child is killed
 * if any of this fails.
 */
export async function expectInterruptedTwice(child: ChildProcess, output: () => string): Promise<void> {
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    expect(await eventually(() => output().includes('ready'), 15_000)).toBe(true);
    const began = Date.now();
    child.kill('SIGINT');
    expect(await eventually(() => output().includes('stopping'), 15_000)).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(Date.now() - began).toBeLessThan(20_000); // not the 60 s grace
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
