import type { RuntimeProcess } from '../pool/runtime-process.js';

const POLL_MS = 10;

/** No process of the runtime's tree is left: the runtime has exited and every descendant is gone. */
export function treeIsEmpty(runtime: RuntimeProcess): boolean {
  return runtime.exit !== undefined && runtime.tree.members().length === 0;
}

/**
 * Waits until the tree is empty or `deadline` (epoch ms) passes. Wakes at once
 * when the runtime exits or `wake()` settles (the deadline moved), and polls for descendants.
 */
export async function waitForEmptyTree(
  runtime: RuntimeProcess,
  deadline: () => number,
  wake: () => Promise<void>,
): Promise<boolean> {
  for (;;) {
    if (treeIsEmpty(runtime)) return true;
    const remaining = deadline() - Date.now();
    if (remaining <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      runtime.exit ? never : runtime.exited,
      wake(),
      new Promise((resolve) => (timer = setTimeout(resolve, Math.min(remaining, POLL_MS)))),
    ]);
    clearTimeout(timer);
  }
}

const never = new Promise<never>(() => {});
