// A task's `threads` slots, alone: an open takes one or waits in line for one,
// an item's end gives one back, a terminate turns away whoever still waits.
import { describe, expect, it } from 'vitest';
import { Slots } from '../dist/engine/pipelines/task/slots.js';

/** Whether a promise has settled once pending callbacks have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('Slots', () => {
  it('hands out free slots at once, then makes opens wait', async () => {
    const slots = new Slots(2);
    expect(await settled(slots.acquire())).toBe(true);
    expect(await settled(slots.acquire())).toBe(true);
    const third = slots.acquire();
    expect(await settled(third)).toBe(false);
    expect(slots.waitingCount).toBe(1);
  });

  it('gives a released slot to the first in line, in the order they came', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const order: string[] = [];
    const first = slots.acquire().then(() => order.push('first'));
    const second = slots.acquire().then(() => order.push('second'));
    slots.release();
    await first;
    expect(order).toEqual(['first']);
    expect(slots.waitingCount).toBe(1);
    slots.release();
    await second;
    expect(order).toEqual(['first', 'second']);
    expect(slots.waitingCount).toBe(0);
  });

  it('a release with nobody waiting frees the slot, and never more slots than the size', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    slots.release();
    slots.release(); // one release too many
    expect(await settled(slots.acquire())).toBe(true);
    expect(await settled(slots.acquire())).toBe(false);
  });

  it('turns away everyone in line with the error given, and answers how many', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const waiting = [slots.acquire(), slots.acquire()];
    expect(slots.refuseWaiting(() => new Error('terminating'))).toBe(2);
    for (const w of waiting) await expect(w).rejects.toThrow('terminating');
    expect(slots.waitingCount).toBe(0);
    expect(slots.refuseWaiting(() => new Error('nobody'))).toBe(0);
  });

  it('a refusal frees no slot: the one taken is still taken', async () => {
    const slots = new Slots(1);
    await slots.acquire();
    const refused = slots.acquire();
    slots.refuseWaiting(() => new Error('no'));
    await expect(refused).rejects.toThrow('no');
    expect(await settled(slots.acquire())).toBe(false);
  });
});
