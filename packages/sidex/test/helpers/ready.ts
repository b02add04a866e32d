import type { Sidex } from '../../dist/index.js';

type StartReply = ReturnType<Sidex['sideExecution']['startWithCode']>;

/** Starts inline code and resolves with its id once it printed "ready". */
export function startReady(sidex: Sidex, code: string, params?: Record<string, unknown>, timeout?: number): Promise<string> {
  return readyOnceStarted(sidex, () => sidex.sideExecution.startWithCode(code, params, timeout));
}

/** Runs `start` (inline code, a block) and resolves with the execution's id once it printed "ready". */
export async function readyOnceStarted(sidex: Sidex, start: () => StartReply): Promise<string> {
  let id: string | undefined;
  let seen = '';
  let resolveReady!: () => void;
  const ready = new Promise<void>((resolve) => (resolveReady = resolve));
  const off = sidex.sideExecution.on('output', (e) => {
    if (e.id !== id || e.stream !== 'stdout') return;
    seen += e.data;
    if (seen.includes('ready')) resolveReady();
  });
  try {
    const reply = await start();
    if (!reply.success) throw new Error(`start failed: ${reply.error}`);
    id = reply.sideExecutionId;
    const status = await sidex.sideExecution.getStatus(id);
    if (status.success && status.output.includes('ready')) resolveReady();
    await Promise.race([
      ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`execution ${id} never printed ready`)), 15_000)),
    ]);
    return id;
  } finally {
    off();
  }
}
