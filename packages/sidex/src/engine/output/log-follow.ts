import { once } from 'node:events';
import type { LogFrame } from './log-format.js';
import type { LogFiles } from './log-files.js';
import { readLog } from './log-reader.js';

const POLL_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What following needs of an execution that is still live. */
export interface Followed {
  ended(): boolean;
  /** Resolves once it has ended. */
  readonly terminal: Promise<unknown>;
  /** Resolves once the output read so far is in the index. */
  indexed(): Promise<void>;
}

/**
 * The log's frames, then what is written until the execution ends or `signal`
 * aborts (a reader that went away must not hold the file). `newOutput`
 * resolves at the next output of any execution, or when its signal aborts.
 */
export async function* followLog(
  files: LogFiles,
  live: Followed | undefined,
  newOutput: (signal: AbortSignal) => Promise<unknown>,
  signal?: AbortSignal,
): AsyncGenerator<LogFrame> {
  const aborted = signal ? once(signal, 'abort') : new Promise<never>(() => {});
  yield* readLog(files, async () => {
    if (!live || live.ended() || signal?.aborted) return false;
    // New output or the end wakes the reader, once the index has it; the poll is a safety net.
    // The wait that lost the race is dropped: a quiet execution must not pile them up.
    const woken = new AbortController();
    try {
      await Promise.race([newOutput(woken.signal), live.terminal, sleep(POLL_MS), aborted]);
    } finally {
      woken.abort();
    }
    await live.indexed();
    return !signal?.aborted;
  });
}
