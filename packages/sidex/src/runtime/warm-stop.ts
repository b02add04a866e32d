// A runtime runs one execution and is stopped at most once, so whatever its
// stop does for the first time in the process, every stop pays: Node sets up
// AbortController and DOMException lazily (~1.5 ms each measured here, more
// with source maps on), and the stop's own code is not compiled yet. Paid
// here, while the runtime waits idle in the pool, instead.
import { ExecutionContext } from './context.js';
import { namespaceOthers, SANDBOXED } from './namespace.js';
import { unwind, unwindingAwait } from './unwind/awaits.js';

export async function warmStopPath(): Promise<void> {
  const ctx = new ExecutionContext('warm-up', undefined, undefined, () => {});
  ctx.api.onStop(() => 'warm');
  const suspended = Promise.resolve(unwindingAwait(new Promise(() => {}))).catch(() => {});
  unwind(ctx.abort());
  await suspended;
  await ctx.runStopHandlers();
  if (SANDBOXED) namespaceOthers();
}
