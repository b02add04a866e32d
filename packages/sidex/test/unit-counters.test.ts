// A task's item counts and rates, alone: what §3's status reports of them.
import { describe, expect, it } from 'vitest';
import { ItemCounters, MAX_MESSAGES, pushBounded } from '../dist/engine/pipelines/task/counters.js';

/** Counters whose rates were last sampled at `at`. */
function countersSampledAt(at: number): ItemCounters {
  const counters = new ItemCounters();
  counters.sampleRates(at);
  return counters;
}

describe('ItemCounters', () => {
  it('counts each ended item and its bytes under its outcome', () => {
    const c = new ItemCounters();
    c.add('completed', 10);
    c.add('completed', 5);
    c.add('failed', 7);
    c.add('cancelled', 3);
    expect(c).toMatchObject({
      completedCount: 2,
      completedSize: 15,
      failedCount: 1,
      failedSize: 7,
      cancelledCount: 1,
      cancelledSize: 3,
      totalCount: 0,
      refusedCount: 0,
    });
  });

  it('rates are the items (and bytes) finished per second since the last sample; cancelled ones are not finished', () => {
    const t0 = Date.now() + 1000;
    const c = countersSampledAt(t0);
    for (let i = 0; i < 10; i++) c.add('completed', 100);
    for (let i = 0; i < 4; i++) c.add('failed', 50);
    c.add('cancelled', 1000);
    expect(c.sampleRates(t0 + 2000)).toBe(true);
    expect(c.rateCount).toBe(7); // 14 items in 2 s
    expect(c.rateSize).toBe(600); // 1200 bytes in 2 s
  });

  it('a sample counts only what finished since the one before', () => {
    const t0 = Date.now() + 1000;
    const c = countersSampledAt(t0);
    c.add('completed', 10);
    c.add('completed', 10);
    c.sampleRates(t0 + 1000);
    expect(c.rateCount).toBe(2);
    c.add('completed', 10);
    expect(c.sampleRates(t0 + 2000)).toBe(true);
    expect(c.rateCount).toBe(1);
    expect(c.rateSize).toBe(10);
  });

  it('answers whether a rate changed', () => {
    const t0 = Date.now() + 1000;
    const c = countersSampledAt(t0);
    c.add('completed', 1);
    expect(c.sampleRates(t0 + 1000)).toBe(true);
    c.add('completed', 1);
    expect(c.sampleRates(t0 + 2000)).toBe(false); // one a second, as before
    expect(c.sampleRates(t0 + 3000)).toBe(true); // none this second
    expect(c.rateCount).toBe(0);
  });

  it('a sample with no time passed changes nothing', () => {
    const t0 = Date.now() + 1000;
    const c = countersSampledAt(t0);
    c.add('completed', 1);
    expect(c.sampleRates(t0)).toBe(false);
    expect(c.sampleRates(t0 - 500)).toBe(false);
    expect(c.rateCount).toBe(0);
    expect(c.sampleRates(t0 + 1000)).toBe(true);
    expect(c.rateCount).toBe(1);
  });

  it('stopRates sets the rates to zero and keeps the counts', () => {
    const t0 = Date.now() + 1000;
    const c = countersSampledAt(t0);
    c.add('completed', 100);
    c.sampleRates(t0 + 1000);
    c.stopRates();
    expect(c).toMatchObject({ rateCount: 0, rateSize: 0, completedCount: 1, completedSize: 100 });
  });
});

describe('pushBounded', () => {
  it(`keeps the most recent ${MAX_MESSAGES} messages, oldest first`, () => {
    const list: string[] = [];
    for (let i = 1; i <= MAX_MESSAGES + 7; i++) pushBounded(list, `m${i}`);
    expect(list).toHaveLength(MAX_MESSAGES);
    expect(list[0]).toBe('m8');
    expect(list.at(-1)).toBe(`m${MAX_MESSAGES + 7}`);
  });

  it('trims a list that was already too long', () => {
    const list = Array.from({ length: MAX_MESSAGES + 5 }, (_, i) => `w${i}`);
    pushBounded(list, 'last');
    expect(list).toHaveLength(MAX_MESSAGES);
    expect(list.at(-1)).toBe('last');
  });
});
