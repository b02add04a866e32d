/** The globals rewritten code calls (instrument.ts writes them, awaits.ts defines them). */
export const AWAIT_HOOK = '__sidexAwait';
export const ITER_HOOK = '__sidexIter';
