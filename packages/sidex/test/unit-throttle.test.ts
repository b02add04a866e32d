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
    for (let i = 0; i < 10; i++) t.changed();
    await sleep(50);
    expect(published).toHaveLength(1);
    await sleep(250);
    expect(published).toHaveLength(2);
    expect(published[1]! - published[0]!).toBeGreaterThanOrEqual(195);
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
    t.changed();
    await sleep(100);
    expect(published).toHaveLength(1);
    await sleep(200);
    expect(published).toHaveLength(2);
    expect(published[1]! - published[0]!).toBeGreaterThanOrEqual(195);
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
