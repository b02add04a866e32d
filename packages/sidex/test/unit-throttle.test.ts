// apaevt_status_update's pace, alone: changes are folded into at most one
// update per interval; a state change publishes at once.
import { describe, expect, it } from 'vitest';
import { StatusThrottle } from '../dist/engine/pipelines/task/throttle.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A throttle of `intervalMs` and the times (ms since it was made) it published at. */
function throttle(intervalMs: number) {
  const start = Date.now();
  const published: number[] = [];
  return { throttle: new StatusThrottle(intervalMs, () => published.push(Date.now() - start)), published };
}

/** Expects a change made now to be published one interval after the update before it, not sooner. */
async function expectHeldForInterval(t: StatusThrottle, published: number[], intervalMs: number): Promise<void> {
  const before = published.length;
  t.changed();
  await sleep(intervalMs / 2);
  expect(published).toHaveLength(before);
  await sleep(intervalMs);
  expect(published).toHaveLength(before + 1);
  expect(published.at(-1)! - published.at(-2)!).toBeGreaterThanOrEqual(intervalMs - 5);
}

describe('StatusThrottle', () => {
  it('a first change is published on the next turn, not within the call', async () => {
    const { throttle: t, published } = throttle(200);
    t.changed();
    expect(published).toEqual([]);
    await sleep(50);
    expect(published).toHaveLength(1);
  });

  it('changes in between are folded into one update, one interval after the last', async () => {
    const { throttle: t, published } = throttle(200);
    t.changed();
    await sleep(50);
    expect(published).toHaveLength(1);
    for (let i = 0; i < 9; i++) t.changed();
    await expectHeldForInterval(t, published, 200);
  });

  it('now() publishes within the call, whatever the interval, and takes the place of one pending', async () => {
    const { throttle: t, published } = throttle(200);
    t.now();
    expect(published).toHaveLength(1);
    t.changed();
    t.now();
    expect(published).toHaveLength(2);
    await sleep(300);
    expect(published).toHaveLength(2);
  });

  it('after now(), a change waits for the interval to pass', async () => {
    const { throttle: t, published } = throttle(200);
    t.now();
    await expectHeldForInterval(t, published, 200);
  });

  it('close() drops the pending update; later changes publish again', async () => {
    const { throttle: t, published } = throttle(100);
    t.now();
    t.changed();
    t.close();
    await sleep(200);
    expect(published).toHaveLength(1);
    t.changed();
    await sleep(50);
    expect(published).toHaveLength(2);
  });
});
