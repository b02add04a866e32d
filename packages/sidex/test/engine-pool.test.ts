// The warm pool's refill schedule. A spawn blocks the server's event loop (fork
// copies its page tables), so the refill waits after a start, spawns one
// runtime at a time and steps aside while an execution is ending. The
// runtimes here are stand-ins that boot at once: what is tested is when the
// pool spawns, under fake timers, not how a runtime boots (the engine tests do).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WarmPool } from '../dist/engine/pool/warm-pool.js';
import type { RuntimeProcess } from '../dist/engine/pool/runtime-process.js';

function standIn(): RuntimeProcess {
  return { ready: Promise.resolve(), exited: new Promise(() => {}), discard: () => {} } as unknown as RuntimeProcess;
}

function pool(size: number, busy: () => boolean = () => false) {
  let spawned = 0;
  const warm = new WarmPool(() => (spawned++, standIn()), size, busy);
  return { warm, spawned: () => spawned };
}

afterEach(() => vi.useRealTimers());

describe('warm pool refill', () => {
  it('fills at start; after a start it waits 30 ms, then spawns one runtime every 5 ms', async () => {
    vi.useFakeTimers();
    const { warm, spawned } = pool(3);
    warm.start();
    expect(spawned()).toBe(3);
    await warm.acquire();
    await warm.acquire();
    expect(spawned()).toBe(3);
    expect(warm.idleCount).toBe(1);
    await vi.advanceTimersByTimeAsync(29);
    expect(spawned()).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(spawned()).toBe(4);
    await vi.advanceTimersByTimeAsync(5);
    expect(spawned()).toBe(5);
    await vi.advanceTimersByTimeAsync(100);
    expect(spawned()).toBe(5);
    expect(warm.idleCount).toBe(3);
    warm.close();
  });

  it('steps aside while an execution is ending, at most 5 times, then refills regardless', async () => {
    vi.useFakeTimers();
    let ending = true;
    const { warm, spawned } = pool(2, () => ending);
    warm.start();
    await warm.acquire();
    await vi.advanceTimersByTimeAsync(30 + 4 * 30);
    expect(spawned()).toBe(2);
    ending = false;
    await vi.advanceTimersByTimeAsync(30);
    expect(spawned()).toBe(3);

    ending = true;
    await warm.acquire();
    await vi.advanceTimersByTimeAsync(30 + 5 * 30);
    expect(spawned()).toBe(4);
    warm.close();
  });

  it('an empty pool refills even while an execution is ending: the next start would otherwise boot cold', async () => {
    vi.useFakeTimers();
    const { warm, spawned } = pool(1, () => true);
    warm.start();
    await warm.acquire();
    expect(warm.idleCount).toBe(0);
    await vi.advanceTimersByTimeAsync(30);
    expect(spawned()).toBe(2);
    warm.close();
  });

  it('a closed pool spawns nothing more', async () => {
    vi.useFakeTimers();
    const { warm, spawned } = pool(2);
    warm.start();
    await warm.acquire();
    warm.close();
    await vi.advanceTimersByTimeAsync(1000);
    expect(spawned()).toBe(2);
  });
});
