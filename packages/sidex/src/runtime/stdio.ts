// Node creates process.stdout and process.stderr on first use (a
// SyncWriteStream each, as they are files: engine/output/log-files.ts). Done at
// boot, so an execution's first write does not pay for it.
export function openStdio(): void {
  void process.stdout.fd;
  void process.stderr.fd;
}

const quietWarnings = ['USE_MAIN_CONTEXT_DEFAULT_LOADER', 'VM Modules is an experimental feature'];

// The runtime itself uses vm's main-context loader (so inline code can
// import()) and vm modules (to syntax-check a block's entry): implementation
// details whose warnings must not reach the user's stderr.
export function silenceRuntimeWarnings(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : (warning as Error)?.message ?? '';
    if (quietWarnings.some((w) => text.includes(w))) return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
