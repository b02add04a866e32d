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

/** Expects the deadline to pass `ms` after `start`, give or take the timers' lateness. */
async function expectPassesAt(deadline: Deadline, start: number, ms: number): Promise<void> {
  const after = await passedAfter(deadline, start, ms + 2000);
  expect(after).toBeGreaterThanOrEqual(Math.max(0, ms - 5));
  expect(after).toBeLessThan(ms + 500);
}

describe('Deadline', () => {
  it('passes once its time has come, not before', async () => {
    await expectPassesAt(new Deadline(150), Date.now(), 150);
  });

  it('a zero deadline passes at once', async () => {
    await expectPassesAt(new Deadline(0), Date.now(), 0);
  });

  it.each([
    { what: 'brings it closer', ms: 5000, shortenTo: 100, passesAt: 100 },
    { what: 'never pushes it back', ms: 150, shortenTo: 5000, passesAt: 150 },
    { what: 'to 0 passes it at once (force)', ms: 5000, shortenTo: 0, passesAt: 0 },
  ])('shorten $what', async ({ ms, shortenTo, passesAt }) => {
    const start = Date.now();
    const deadline = new Deadline(ms);
    deadline.shorten(shortenTo);
    await expectPassesAt(deadline, start, passesAt);
  });

  it('cancelled, it does not pass', async () => {
    const deadline = new Deadline(50);
    deadline.cancel();
    expect(await passedAfter(deadline, Date.now(), 300)).toBeUndefined();
  });
});
