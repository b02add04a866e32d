// The drain deadline of a terminate, alone: it passes at its time; a later
// terminate may bring it closer, never push it back; cancelled, it never passes.
import { describe, expect, it } from 'vitest';
import { Deadline } from '../dist/engine/pipelines/task/deadline.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long after `start` the deadline passed, or undefined when it had not within `withinMs`. */
async function passedAfter(deadline: Deadline, start: number, withinMs: number): Promise<number | undefined> {
  const passed = deadline.passed.then(() => Date.now() - start);
  return Promise.race([passed, sleep(withinMs).then(() => undefined)]);
}

describe('Deadline', () => {
  it('passes once its time has come, not before', async () => {
    const start = Date.now();
    const deadline = new Deadline(150);
    const after = await passedAfter(deadline, start, 2000);
    expect(after).toBeGreaterThanOrEqual(145);
    expect(after).toBeLessThan(1000);
  });

  it('a zero deadline passes at once', async () => {
    const start = Date.now();
    expect(await passedAfter(new Deadline(0), start, 1000)).toBeLessThan(100);
  });

  it('shorten brings it closer', async () => {
    const start = Date.now();
    const deadline = new Deadline(5000);
    deadline.shorten(100);
    const after = await passedAfter(deadline, start, 2000);
    expect(after).toBeGreaterThanOrEqual(95);
    expect(after).toBeLessThan(1000);
  });

  it('shorten never pushes it back', async () => {
    const start = Date.now();
    const deadline = new Deadline(150);
    deadline.shorten(5000);
    const after = await passedAfter(deadline, start, 2000);
    expect(after).toBeGreaterThanOrEqual(145);
    expect(after).toBeLessThan(1000);
  });

  it('shorten to 0 passes it at once (force)', async () => {
    const start = Date.now();
    const deadline = new Deadline(5000);
    deadline.shorten(0);
    expect(await passedAfter(deadline, start, 1000)).toBeLessThan(100);
  });

  it('cancelled, it does not pass', async () => {
    const deadline = new Deadline(50);
    deadline.cancel();
    expect(await passedAfter(deadline, Date.now(), 300)).toBeUndefined();
  });
});
